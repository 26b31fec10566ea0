import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { serializerForVsn, type Frame } from '@cinder/protocol';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Connection } from '../socket/connection';
import type { Endpoint } from '../socket/endpoint';
import type { TransportSink } from '../socket/transport-sink';
import { parseOfferedProtocols } from './auth-token-protocol';
import { refuseUpgrade } from './http-refusal';
import { parseQuery } from './query-params';
import { beforeWrite, type TickWriter } from './tick-coalescing';
import { sharedWireFrame } from './websocket-wire';

const TEXT = { binary: false };
const BINARY = { binary: true };

type RawSocket = Duplex & { write(chunk: Buffer): boolean };

/** What ws keeps per connection that the shared-frame path writes through. */
interface WsInternals {
  _socket?: RawSocket;
  _sender?: { _state?: number; _queue?: unknown[] };
}

/**
 * ws's WebSocket that is also the connection's transport sink. Being one
 * object, with its event handlers shared functions that find the connection
 * through `this`, an idle socket costs no closures and no extra sink object
 * (see the idle figures in the README's performance section).
 */
class PhoenixWebSocket extends WebSocket implements TransportSink, TickWriter {
  readonly kind = 'websocket' as const;
  conn: Connection<any> | null = null;
  endpoint: Endpoint<any> | null = null;
  /** the raw socket, when frames may be written to it directly */
  private raw: RawSocket | null = null;
  lastWriteTick = -1;
  corkedThisTick = false;

  get corkable(): RawSocket | null {
    return this.raw;
  }

  /** Called once ws has attached the socket: decides whether shared frames may bypass ws. */
  attachTo(endpoint: Endpoint<any>, conn: Connection<any>): void {
    this.endpoint = endpoint;
    this.conn = conn;
    const internals = this as unknown as WsInternals;
    // ws writes synchronously and keeps no queue of its own only while it
    // never compresses or reads Blobs: compression is off, Blobs are never
    // sent. These fields are private to ws, so should a release change them,
    // every frame goes through `send` again.
    const sender = internals._sender;
    this.raw = sender && sender._state === 0 && Array.isArray(sender._queue) && internals._socket ? internals._socket : null;
  }

  sendFrame(frame: Frame): void {
    if (!this.writable()) return;
    beforeWrite(this);
    this.send(frame.data, frame.binary ? BINARY : TEXT);
  }

  sendShared(frame: Frame): void {
    if (!this.writable()) return;
    beforeWrite(this);
    if (this.raw !== null) this.raw.write(sharedWireFrame(frame));
    else this.send(frame.data, frame.binary ? BINARY : TEXT);
  }

  private writable(): boolean {
    if (this.readyState !== WebSocket.OPEN) return false;
    if (this.bufferedAmount > this.endpoint!.options.maxBufferedBytes) {
      // A client that stopped reading: cut it off rather than buffer for it.
      const endpoint = this.endpoint!;
      endpoint.stats.protocolErrors.slow_consumer = (endpoint.stats.protocolErrors.slow_consumer ?? 0) + 1;
      endpoint.logger.warn({ socket_id: this.conn?.id ?? null }, 'disconnecting slow consumer');
      this.terminate();
      return false;
    }
    return true;
  }

  closeTransport(code: number, reason: string): void {
    if (this.readyState === WebSocket.OPEN || this.readyState === WebSocket.CONNECTING) this.close(code, reason);
  }
}

// ws calls these with `this` set to the socket that emitted the event.
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const conn = (this as PhoenixWebSocket).conn!;
  try {
    // binaryType is ws's default, "nodebuffer": data is one Buffer
    conn.handleFrame(data as Buffer, isBinary);
  } catch (err) {
    conn.protocolError(err);
  }
}

function onError(this: WebSocket, err: Error & { code?: string }): void {
  const ws = this as PhoenixWebSocket;
  // ws has already answered (1009 too large, 1007 bad UTF-8…) and closes.
  const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame_too_large' : (err.code ?? 'ws_error');
  ws.endpoint!.recordProtocolError(code, err, ws.conn!);
}

function onClose(this: WebSocket): void {
  (this as PhoenixWebSocket).conn!.terminateAll('closed');
}

export interface WebSocketTransportOptions {
  /** e.g. "/socket/websocket" */
  readonly path: string;
}

/**
 * Phoenix's WebSocket transport on `ws`. Origin, vsn, subprotocol and the
 * connect callback are checked before the upgrade, so refusals are plain
 * HTTP 403s exactly as Phoenix sends them.
 */
export class WebSocketTransport<A> {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly endpoint: Endpoint<A>,
    private readonly opts: WebSocketTransportOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: endpoint.options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
      WebSocket: PhoenixWebSocket,
      handleProtocols: (offered) => (offered.has('phoenix') ? 'phoenix' : false),
    });
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head).catch((err) => {
        this.endpoint.logger.error({ err }, 'websocket upgrade failed');
        refuseUpgrade(socket, 403);
      });
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.opts.path) {
      refuseUpgrade(socket, 404, { body: 'not found' });
      return;
    }
    const offered = parseOfferedProtocols(req.headers['sec-websocket-protocol']);
    const answerProtocol = offered.rest.includes('phoenix') ? 'phoenix' : undefined;
    const refuse = (why: string) => {
      this.endpoint.logger.info({ why, path: url.pathname }, 'refused websocket connection');
      refuseUpgrade(socket, 403, { protocol: answerProtocol });
    };
    if (this.endpoint.draining) {
      refuseUpgrade(socket, 503 as number);
      return;
    }
    if (!this.endpoint.checkOrigin(req.headers)) return refuse('origin not allowed');
    const params = parseQuery(url.search);
    const serializer = serializerForVsn(params.vsn, 'websocket');
    if (!serializer) return refuse(`unsupported vsn ${JSON.stringify(params.vsn)}`);
    if (offered.malformed) return refuse('malformed authToken subprotocol');
    if (offered.rest.length > 0 && !answerProtocol) return refuse('no acceptable subprotocol');
    const accepted = await this.endpoint.authenticate(params, {
      transport: 'websocket',
      // read only if the app asks: reading it makes Node keep an address object per socket
      get remoteAddress() {
        return req.socket.remoteAddress;
      },
      headers: req.headers,
      authToken: offered.authToken,
    });
    if (!accepted) return refuse('connect refused');
    if (!this.endpoint.admit(accepted, 'websocket')) return refuse('too many sockets for this user');
    if (socket.destroyed) return;
    // The token entry is not a valid subprotocol token ('/', '+', '='); ws
    // would reject the whole header, so only the remaining entries go on.
    if (offered.rest.length > 0) req.headers['sec-websocket-protocol'] = offered.rest.join(', ');
    else delete req.headers['sec-websocket-protocol'];
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws as PhoenixWebSocket, serializer, accepted));
  }

  private accept(ws: PhoenixWebSocket, serializer: NonNullable<ReturnType<typeof serializerForVsn>>, accepted: { id: string | null; assigns: A }): void {
    ws.attachTo(this.endpoint, this.endpoint.open(serializer, ws, accepted));
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  }

  close(): void {
    this.wss.close();
  }
}
