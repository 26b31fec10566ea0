import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import WebSocket from 'ws';

/** One frame as it came off the wire. */
export type Received = { readonly type: 'text'; readonly text: string } | { readonly type: 'binary'; readonly bytes: Buffer };

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  /** false when the server started the close handshake (or dropped the socket) */
  readonly byClient: boolean;
}

/** What an upgrade attempt got: an open socket, or the HTTP answer that refused it. */
export type Handshake =
  | { readonly kind: 'open'; readonly client: RawClient; readonly headers: http.IncomingHttpHeaders }
  | { readonly kind: 'refused'; readonly status: number; readonly headers: http.IncomingHttpHeaders; readonly body: string };

const live = new Set<RawClient>();

/**
 * A WebSocket client that sends hand-written frames and queues what arrives,
 * so tests can await frames one by one and see exactly what the server sent
 * (no phoenix.js in between to reorder, drop or reinterpret anything).
 */
export class RawClient {
  private readonly queue: Received[] = [];
  private waiter: { resolve: (r: Received) => void; reject: (e: Error) => void } | null = null;
  private closeInfo: CloseInfo | null = null;
  private clientClosing = false;
  private barrierSeq = 0;
  readonly closed: Promise<CloseInfo>;

  private constructor(
    private readonly ws: WebSocket,
    /** V1 clients send objects; V2 clients arrays (used for heartbeats) */
    readonly vsn1: boolean,
  ) {
    live.add(this);
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        live.delete(this);
        this.closeInfo = { code, reason: reason.toString('utf8'), byClient: this.clientClosing };
        const w = this.waiter;
        this.waiter = null;
        if (w) w.reject(new Error(`socket closed (code ${code}) while waiting for a frame`));
        resolve(this.closeInfo);
      });
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame: Received = isBinary ? { type: 'binary', bytes: Buffer.from(data) } : { type: 'text', text: data.toString('utf8') };
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        w.resolve(frame);
      } else {
        this.queue.push(frame);
      }
    });
  }

  /** Attempts the upgrade; a refusal is a result, not an error. */
  static connect(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<Handshake> {
    const vsn = new URL(url).searchParams.get('vsn');
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, opts.protocols ?? [], { perMessageDeflate: false, headers: opts.headers });
      let upgradeHeaders: http.IncomingHttpHeaders = {};
      let client: RawClient | null = null;
      ws.on('upgrade', (res: http.IncomingMessage) => {
        upgradeHeaders = res.headers;
      });
      ws.on('unexpected-response', (req: http.ClientRequest, res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ kind: 'refused', status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          req.destroy();
        });
      });
      ws.on('open', () => {
        client = new RawClient(ws, vsn === null || vsn.startsWith('1.'));
        resolve({ kind: 'open', client, headers: upgradeHeaders });
      });
      ws.on('error', (err) => {
        if (!client) reject(err);
      });
    });
  }

  /** Connects and insists on a 101. */
  static async open(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<RawClient> {
    const hs = await RawClient.connect(url, opts);
    if (hs.kind !== 'open') throw new Error(`expected 101 from ${url}, got HTTP ${hs.status} ${JSON.stringify(hs.body)}`);
    return hs.client;
  }

  /** Ends every socket a test left open (also after a failed assertion). */
  static terminateAll(): void {
    for (const c of [...live]) c.ws.terminate();
    live.clear();
  }

  sendText(text: string): void {
    this.ws.send(text, { binary: false });
  }

  /** Bytes in a text frame, unvalidated (for invalid UTF-8). */
  sendRawText(bytes: Buffer): void {
    this.ws.send(bytes, { binary: false });
  }

  sendJson(value: unknown): void {
    this.sendText(JSON.stringify(value));
  }

  sendBinary(bytes: Buffer): void {
    this.ws.send(bytes, { binary: true });
  }

  /** The next frame; rejects if none arrives in time or the socket closes first. */
  next(timeoutMs = 2000): Promise<Received> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closeInfo) return Promise.reject(new Error(`socket already closed (code ${this.closeInfo.code})`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  async nextJson(timeoutMs?: number): Promise<unknown> {
    const f = await this.next(timeoutMs);
    if (f.type !== 'text') throw new Error(`expected a text frame, got binary ${f.bytes.toString('hex')}`);
    return JSON.parse(f.text);
  }

  async nextBinary(timeoutMs?: number): Promise<Buffer> {
    const f = await this.next(timeoutMs);
    if (f.type !== 'binary') throw new Error(`expected a binary frame, got text ${f.text}`);
    return f.bytes;
  }

  /** Frames received but not consumed yet. */
  pending(): readonly Received[] {
    return this.queue;
  }

  /**
   * Proves that nothing else was sent: the server answers frames of one
   * socket in order, so a heartbeat's reply must be the very next frame.
   */
  async expectQuiet(): Promise<void> {
    const ref = `quiet-${++this.barrierSeq}`;
    if (this.vsn1) this.sendJson({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref });
    else this.sendJson([null, ref, 'phoenix', 'heartbeat', {}]);
    const f = await this.next();
    const expected = this.vsn1
      ? { event: 'phx_reply', payload: { response: {}, status: 'ok' }, ref, topic: 'phoenix' }
      : [null, ref, 'phoenix', 'phx_reply', { response: {}, status: 'ok' }];
    let got: unknown = null;
    if (f.type === 'text') {
      try {
        got = JSON.parse(f.text);
      } catch {
        // reported below
      }
    }
    if (!isDeepStrictEqual(got, expected)) {
      throw new Error(`unexpected frame before the heartbeat barrier: ${f.type === 'text' ? f.text : `binary ${f.bytes.toString('hex')}`}`);
    }
  }

  close(code = 1000): void {
    this.clientClosing = true;
    this.ws.close(code);
  }

  get isClosed(): boolean {
    return this.closeInfo !== null;
  }
}

export interface RawHttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A bare upgrade request, for headers the ws client refuses to send (a
 * Sec-WebSocket-Protocol entry with '/' or '=' as phoenix.js's btoa makes).
 * The socket is dropped right after the answer.
 */
export function rawUpgrade(port: number, pathAndQuery: string, headers: Record<string, string>): Promise<RawHttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: pathAndQuery,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}
