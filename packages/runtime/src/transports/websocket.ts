import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { serializerForVsn, type Frame } from '@cinder/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import type { Connection } from '../socket/connection';
import type { Endpoint } from '../socket/endpoint';
import type { TransportSink } from '../socket/transport-sink';
import { parseOfferedProtocols } from './auth-token-protocol';
import { refuseUpgrade } from './http-refusal';
import { parseQuery } from './query-params';
import { sharedWireFrame } from './websocket-wire';

const TEXT = { binary: false };
const BINARY = { binary: true };

/**
 * What ws keeps per connection that the shared-frame path writes through.
 * Private to ws, so checked once per connection: should a ws release change
 * them, every frame goes through `ws.send` again.
 */
type RawSocket = Duplex & { write(chunk: Buffer): boolean };

interface WsInternals {
  _socket?: RawSocket;
  _sender?: { _state?: number; _queue?: unknown[] };
}

class WebSocketSink implements TransportSink {
  readonly kind = 'websocket' as const;
  conn: Connection<any> | null = null;
  /** the raw socket, when frames may be written to it directly */
  private readonly raw: RawSocket | null;
  constructor(
    private readonly ws: WebSocket,
    private readonly maxBuffered: number,
    private readonly onSlow: () => void,
  ) {
    const internals = ws as unknown as WsInternals;
    // ws writes synchronously and keeps no queue of its own only while it
    // never compresses or reads Blobs: compression is off, Blobs are never sent.
    const sender = internals._sender;
    this.raw = sender && sender._state === 0 && Array.isArray(sender._queue) && internals._socket ? internals._socket : null;
  }

  send(frame: Frame): void {
    if (!this.writable()) return;
    this.ws.send(frame.data, frame.binary ? BINARY : TEXT);
  }

  sendShared(frame: Frame): void {
    if (!this.writable()) return;
    if (this.raw !== null) this.raw.write(sharedWireFrame(frame));
    else this.ws.send(frame.data, frame.binary ? BINARY : TEXT);
  }

  private writable(): boolean {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.maxBuffered) {
      // A client that stopped reading: cut it off rather than buffer for it.
      this.onSlow();
      ws.terminate();
      return false;
    }
    return true;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }
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
      remoteAddress: req.socket.remoteAddress,
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, serializer, accepted));
  }

  private accept(ws: WebSocket, serializer: NonNullable<ReturnType<typeof serializerForVsn>>, accepted: { id: string | null; assigns: A }): void {
    const endpoint = this.endpoint;
    const sink = new WebSocketSink(ws, endpoint.options.maxBufferedBytes, () => {
      endpoint.stats.protocolErrors.slow_consumer = (endpoint.stats.protocolErrors.slow_consumer ?? 0) + 1;
      endpoint.logger.warn({ socket_id: accepted.id }, 'disconnecting slow consumer');
    });
    const conn = endpoint.open(serializer, sink, accepted);
    sink.conn = conn;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        conn.handleFrame(data, isBinary);
      } catch (err) {
        conn.protocolError(err);
      }
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws has already answered (1009 too large, 1007 bad UTF-8…) and closes.
      const code = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame_too_large' : (err.code ?? 'ws_error');
      endpoint.recordProtocolError(code, err, conn);
    });
    ws.on('close', () => conn.terminateAll('closed'));
  }

  close(): void {
    this.wss.close();
  }
}
