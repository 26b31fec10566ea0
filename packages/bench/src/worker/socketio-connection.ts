import { io, Socket } from 'socket.io-client';
import type { ClientConnection, DropSink, EventSink, Reply } from './connection';

/** One Socket.IO client on the WebSocket transport, joined to one room. */
export class SocketIoConnection implements ClientConnection {
  lastW = -1;
  lastSeq: number[] = [];
  private socket?: Socket;
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
      const socket = io(this.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        timeout: timeoutMs,
        // engine.io-client hands these to `ws`; its typings omit localAddress
        // and want an object for perMessageDeflate, where `ws` takes false
        ...({ localAddress: this.localAddress, perMessageDeflate: false } as object),
      });
      this.socket = socket;
      const timer = setTimeout(() => {
        reject(new Error('join timed out'));
        socket.disconnect();
      }, timeoutMs);
      socket.on('connect', () => {
        socket.emit('join', this.topic, (answer: { ok?: boolean; error?: string }) => {
          clearTimeout(timer);
          if (answer?.ok) {
            this.joined = true;
            resolve();
          } else {
            reject(new Error(`join refused: ${answer?.error}`));
          }
        });
      });
      socket.on('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('disconnect', () => {
        const wasJoined = this.joined;
        this.joined = false;
        if (wasJoined && !this.closedByUs) this.onDrop(this);
      });
      socket.onAny((event: string, payload: unknown) => this.onEvent(this, event, payload));
    });
  }

  push(): Promise<Reply> {
    return Promise.reject(new Error('the Socket.IO driver has no reply pushes'));
  }

  heartbeat(): void {
    // engine.io keeps the connection alive with its own ping/pong
  }

  isOpen(): boolean {
    return this.joined;
  }

  pendingReplies(): number {
    return 0;
  }

  close(): void {
    this.closedByUs = true;
    this.joined = false;
    this.socket?.disconnect();
  }
}
