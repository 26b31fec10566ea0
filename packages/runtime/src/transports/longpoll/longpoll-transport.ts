import type { IncomingMessage, ServerResponse } from 'node:http';
import { serializerForVsn, type Serializer } from '@cinder/protocol';
import type { ConnectResult, Endpoint } from '../../socket/endpoint';
import { ClusterRouter } from './cluster-router';
import { answerBadRequest, answerJson, answerPreflight } from './http-answers';
import { splitPostBody } from './post-lines';
import { readBody } from './request-body';
import { LongPollSession, type PollWaiter, type SessionLimits } from './session';
import { SessionRegistry } from './session-registry';
import { formatSessionToken, mountTag, newSessionId, parseSessionToken, type SessionAddress } from './session-token';
import { readLongPollQuery } from './token-params';

export interface LongPollTransportOptions {
  /** e.g. "/socket/longpoll" */
  readonly path: string;
  /** how long a poll with nothing to deliver is held; idle sessions end after 1.5x this. Default 10000 */
  readonly windowMs?: number;
  /** how long a node waits for the node holding a session to answer. Default 2000 */
  readonly pubsubTimeoutMs?: number;
  /** larger POST bodies get HTTP 400. Default 8 MB */
  readonly maxBodyBytes?: number;
  /** unread frames per session before it is closed as a slow consumer. Default 10000 */
  readonly maxBufferedMessages?: number;
  /** unread bytes per session before it is closed as a slow consumer. Default: the endpoint's maxBufferedBytes */
  readonly maxBufferedBytes?: number;
}

const DEFAULT_WINDOW_MS = 10_000;
const DEFAULT_PUBSUB_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_BODY_BYTES = 8_000_000;
const DEFAULT_MAX_BUFFERED_MESSAGES = 10_000;

/**
 * Phoenix's LongPoll transport. A GET without a live session token runs the
 * connect callback and opens a session (`status` 410 plus its token); a GET
 * with one collects buffered frames or waits for them; a POST hands frames
 * to the session. Sessions live on the node that opened them; requests that
 * land on another node are routed to it over the pubsub control bus, so no
 * sticky sessions are needed.
 */
export class LongPollTransport<A> {
  private readonly nodeId: string;
  private readonly mount: string;
  private readonly limits: SessionLimits;
  private readonly maxBodyBytes: number;
  private readonly registry: SessionRegistry;
  private readonly router: ClusterRouter;
  private closed = false;

  constructor(
    private readonly endpoint: Endpoint<A>,
    private readonly opts: LongPollTransportOptions,
  ) {
    const windowMs = positive(opts.windowMs, DEFAULT_WINDOW_MS, 'windowMs');
    this.nodeId = endpoint.pubsub.adapter.nodeId;
    this.mount = mountTag(opts.path);
    this.maxBodyBytes = positive(opts.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
    this.limits = {
      windowMs,
      maxBufferedMessages: positive(opts.maxBufferedMessages, DEFAULT_MAX_BUFFERED_MESSAGES, 'maxBufferedMessages'),
      maxBufferedBytes: positive(opts.maxBufferedBytes, endpoint.options.maxBufferedBytes, 'maxBufferedBytes'),
      maxFrameBytes: endpoint.options.maxFrameBytes,
    };
    this.registry = new SessionRegistry(Math.floor(windowMs * 1.5), (session) => {
      endpoint.logger.info({ socket_id: session.conn?.info.id ?? null }, 'closing inactive longpoll session');
      this.endSession(session, 'closed');
    });
    this.router = new ClusterRouter({
      adapter: endpoint.pubsub.adapter,
      path: opts.path,
      pubsubTimeoutMs: positive(opts.pubsubTimeoutMs, DEFAULT_PUBSUB_TIMEOUT_MS, 'pubsubTimeoutMs'),
      windowMs,
      logger: endpoint.logger,
      findSession: (id) => this.registry.get(id),
    });
  }

  /** live sessions held by this node */
  get sessionCount(): number {
    return this.registry.size;
  }

  /** Serves one request on the LongPoll path, whatever its method. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res).catch((err) => {
      this.endpoint.logger.error({ err }, 'longpoll request failed');
      // phoenix.js treats 500 as "reconnect"; any other unexpected status would stop its poll loop.
      answerJson(res, { status: 500 });
    });
  }

  /** Ends every session (answering held polls) and stops routing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.stopTimer();
    for (const session of this.registry.all()) this.endSession(session, 'shutdown');
    this.router.close();
  }

  // ---- requests ---------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const search = q < 0 ? '' : raw.slice(q);
    if (pathname !== this.opts.path) {
      res.writeHead(404, { 'content-length': 0 }).end();
      return;
    }
    // Phoenix checks the origin on every LongPoll request, preflights included.
    if (!this.endpoint.checkOrigin(req.headers)) {
      this.endpoint.logger.info({ why: 'origin not allowed', origin: req.headers.origin, path: pathname }, 'refused longpoll request');
      answerJson(res, { status: 403 });
      return;
    }
    switch (req.method) {
      case 'OPTIONS':
        answerPreflight(req, res);
        return;
      case 'GET':
        return this.get(req, res, search);
      case 'POST':
        return this.post(req, res, search);
      default:
        answerBadRequest(res);
    }
  }

  private async get(req: IncomingMessage, res: ServerResponse, search: string): Promise<void> {
    if (this.closed) return answerJson(res, { status: 500 });
    const query = readLongPollQuery(req, search, (t) => this.address(t) !== null);
    const token = query.sessionToken;
    const address = token === undefined ? null : this.address(token);
    if (token !== undefined && address) {
      if (address.nodeId === this.nodeId) {
        const session = this.registry.get(address.sessionId);
        if (session && !session.ended && session.token === token) return this.pollLocal(session, res);
      } else if ((await this.pollRemote(address, token, res)) === 'answered') {
        return;
      }
    }
    // No session, or one that is gone: as on Phoenix, this GET opens a new one.
    await this.connect(req, res, query.connectParams);
  }

  private pollLocal(session: LongPollSession, res: ServerResponse): void {
    let answered = false;
    const waiter: PollWaiter = {
      answer: (status, messages) => {
        answered = true;
        answerJson(res, { messages, status, token: session.token });
      },
    };
    // A client that gave up on this poll must not swallow the frames.
    if (!session.poll(waiter)) res.once('close', () => answered || session.cancel(waiter));
  }

  private pollRemote(address: SessionAddress, token: string, res: ServerResponse): Promise<'answered' | 'gone'> {
    return new Promise((resolve) => {
      const onClose = () => {
        cancel();
        resolve('answered');
      };
      const cancel = this.router.poll(address.nodeId, address.sessionId, (result) => {
        res.off('close', onClose);
        if (result.kind === 'gone') return resolve('gone');
        answerJson(res, { messages: [...result.messages], status: result.status, token });
        resolve('answered');
      });
      res.once('close', onClose);
    });
  }

  private async connect(req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>): Promise<void> {
    const refuse = (why: string) => {
      this.endpoint.logger.info({ why, path: this.opts.path }, 'refused longpoll connection');
      answerJson(res, { status: 403 });
    };
    const serializer = serializerForVsn(params.vsn, 'longpoll');
    if (!serializer) return refuse(`unsupported vsn ${JSON.stringify(params.vsn)}`);
    let clientLeft = false;
    res.once('close', () => (clientLeft = true));
    const authToken = req.headers['x-phoenix-authtoken'];
    const accepted = await this.endpoint.authenticate(params, {
      transport: 'longpoll',
      remoteAddress: req.socket.remoteAddress,
      headers: req.headers,
      authToken: typeof authToken === 'string' && authToken !== '' ? authToken : undefined,
    });
    if (!accepted) return refuse('connect refused');
    if (this.closed) return answerJson(res, { status: 500 });
    // Nobody would ever learn this session's token.
    if (clientLeft) return;
    if (!this.endpoint.admit(accepted, 'longpoll')) return refuse('too many sockets for this user');
    const session = this.openSession(serializer, accepted);
    answerJson(res, { messages: [], status: 410, token: session.token });
  }

  private async post(req: IncomingMessage, res: ServerResponse, search: string): Promise<void> {
    const body = await readBody(req, this.maxBodyBytes);
    if (body === null) return answerBadRequest(res, true);
    if (this.closed) return answerJson(res, { status: 500 });
    const query = readLongPollQuery(req, search, (t) => this.address(t) !== null);
    const token = query.sessionToken;
    const address = token === undefined ? null : this.address(token);
    if (token === undefined || !address) return answerJson(res, { status: 410 });
    const lines = splitPostBody(body, req.headers['content-type']);
    if (address.nodeId !== this.nodeId) {
      const result = await this.router.send(address.nodeId, address.sessionId, lines);
      return answerJson(res, { status: result === 'sent' ? 200 : 410 });
    }
    const session = this.registry.get(address.sessionId);
    if (!session || session.ended || session.token !== token) return answerJson(res, { status: 410 });
    // Replies go to the session's buffer; the next GET carries them.
    session.dispatch(lines);
    answerJson(res, { status: 200 });
  }

  // ---- sessions ---------------------------------------------------------

  private address(token: string): SessionAddress | null {
    return parseSessionToken(token, this.mount);
  }

  private openSession(serializer: Serializer, accepted: ConnectResult<A>): LongPollSession {
    const endpoint = this.endpoint;
    const id = newSessionId();
    const session = new LongPollSession(id, formatSessionToken(this.nodeId, this.mount, id), this.limits, {
      ended: (s) => this.registry.delete(s),
      slowConsumer: (s) => {
        endpoint.stats.protocolErrors.slow_consumer = (endpoint.stats.protocolErrors.slow_consumer ?? 0) + 1;
        endpoint.logger.warn({ socket_id: s.conn?.info.id ?? null, transport: 'longpoll' }, 'disconnecting slow consumer');
      },
    });
    session.conn = endpoint.open(serializer, session, accepted);
    this.registry.add(session);
    return session;
  }

  private endSession(session: LongPollSession, reason: 'closed' | 'shutdown'): void {
    // Connection.shutdown ends the channels, then closes the sink, which ends the session;
    // end() covers a connection that was already closed.
    session.conn?.shutdown(1001, reason, reason);
    session.end();
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`LongPollTransport: ${name} must be a positive number, got ${value}`);
  return value;
}
