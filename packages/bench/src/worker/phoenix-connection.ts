import WebSocket from 'ws';
import type { ClientConnection, DropSink, EventSink, Reply } from './connection';

type Frame = [string | null, string | null, string, string, unknown];

const JOIN_REF = '1';

/**
 * A minimal Phoenix V2 (JSON array) client on `ws`. The bench needs
 * thousands of these per process, so it is far leaner than phoenix.js: no
 * reconnect, no rejoin, one channel per socket.
 */
export class PhoenixConnection implements ClientConnection {
  lastW = -1;
  lastSeq: number[] = [];
  private ws?: WebSocket;
  private nextRef = 1;
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  private joined = false;
  private closedByUs = false;

  constructor(
    readonly index: number,
    readonly topic: string,
    private readonly url: string,
    private readonly localAddress: string | undefined,
    private readonly onEvent: EventSink,
    private readonly onDrop: DropSink,
  ) {}

  open(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, {
        perMessageDeflate: false,
        localAddress: this.localAddress,
        handshakeTimeout: timeoutMs,
      });
      this.ws = ws;
      const timer = setTimeout(() => {
        reject(new Error('join timed out'));
        ws.terminate();
      }, timeoutMs);
      ws.on('open', () => {
        this.send(JOIN_REF, '1', this.topic, 'phx_join', {});
        this.pending.set('1', {
          timer,
          resolve: (reply) => {
            clearTimeout(timer);
            if (reply.status === 'ok') {
              this.joined = true;
              resolve();
            } else {
              reject(new Error(`join refused: ${JSON.stringify(reply.response)}`));
              ws.terminate();
            }
          },
        });
        this.nextRef = 2;
      });
      ws.on('message', (data, isBinary) => {
        if (!isBinary) this.receive(data as Buffer);
      });
      ws.on('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', () => {
        clearTimeout(timer);
        const wasJoined = this.joined;
        this.joined = false;
        for (const p of this.pending.values()) clearTimeout(p.timer);
        for (const p of this.pending.values()) p.resolve({ status: 'closed', response: {} });
        this.pending.clear();
        if (wasJoined && !this.closedByUs) this.onDrop(this);
      });
    });
  }

  push(event: string, payload: object, timeoutMs: number): Promise<Reply> {
    const ref = String(this.nextRef++);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        resolve({ status: 'timeout', response: {} });
      }, timeoutMs);
      this.pending.set(ref, { resolve, timer });
      this.send(JOIN_REF, ref, this.topic, event, payload);
    });
  }

  heartbeat(): void {
    // the server answers with a phx_reply we do not wait for
    if (this.joined) this.send(null, String(this.nextRef++), 'phoenix', 'heartbeat', {});
  }

  isOpen(): boolean {
    return this.joined;
  }

  pendingReplies(): number {
    return this.pending.size;
  }

  close(): void {
    this.closedByUs = true;
    this.joined = false;
    this.ws?.terminate();
  }

  private send(joinRef: string | null, ref: string, topic: string, event: string, payload: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
  }

  private receive(data: Buffer): void {
    let frame: Frame;
    try {
      frame = JSON.parse(data.toString('utf8')) as Frame;
    } catch {
      return;
    }
    const [, ref, topic, event, payload] = frame;
    if (event === 'phx_reply' && ref !== null) {
      const p = this.pending.get(ref);
      if (p) {
        this.pending.delete(ref);
        clearTimeout(p.timer);
        p.resolve(payload as Reply);
      }
      return;
    }
    if ((event === 'phx_close' || event === 'phx_error') && topic === this.topic) {
      this.joined = false;
      this.onDrop(this);
      return;
    }
    this.onEvent(this, event, payload);
  }
}
