/**
 * Stock phoenix.js clients of a cluster. Each member is one socket with one
 * joined channel, a phoenix.js Presence, and a record of everything it got.
 * Where a member connects is a function read on every (re)connect, so a test
 * can pin the first connection to one node and send reconnects through the
 * balancer, or keep a member "offline" by pointing it at a dead port.
 */
import { WebSocket } from 'ws';
import { phoenix18, signToken, type PhoenixModule, type PhxChannel, type PhxSocket, type TestClaims } from '@cinder/testkit';

export interface MemberOptions {
  /** base URL (http://host:port) each connect goes to, read on every connect */
  target: () => string;
  phx?: PhoenixModule;
  longpoll?: boolean;
  /** channel join params, e.g. a function giving `since` on every rejoin */
  params?: object | (() => object);
  reconnectAfterMs?: number;
}

export interface Member {
  readonly user: string;
  readonly socket: PhxSocket;
  readonly channel: PhxChannel;
  readonly presence: any;
  /** every non-control event the channel got, in order, plus a `join:ok` entry (the reply) for each join and rejoin */
  readonly events: Array<{ event: string; payload: any }>;
  /** the reply of the first join and of every rejoin */
  readonly joinReplies: any[];
  /** error replies to a join or rejoin */
  readonly joinErrors: any[];
  /** close codes of the socket, in order */
  readonly closes: number[];
  /** phoenix.js's own log of the socket (transport events, pushes, receives), for failure reports */
  readonly log: string[];
  of(event: string): any[];
  /** user id -> number of metas, as this client's Presence sees it */
  presenceCounts(): Record<string, number>;
}

/** A `ws` WebSocket whose host:port comes from `target()` at construction time. */
function routedWebSocket(target: () => string): typeof WebSocket {
  return class RoutedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      const u = new URL(url);
      u.host = new URL(target()).host;
      super(u.toString(), protocols);
    }
  } as typeof WebSocket;
}

export class Members {
  readonly all: Member[] = [];

  /** Connects a socket for `claims`, joins `topic` and resolves once joined. */
  async join(claims: TestClaims, topic: string, opts: MemberOptions): Promise<Member> {
    const member = this.open(claims, topic, opts);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(check);
        const why = [`closes ${JSON.stringify(member.closes)}`, ...member.log.slice(-15)].join('\n  ');
        reject(new Error(`${claims.sub} could not join ${topic} within 10 s:\n  ${why}`));
      }, 10_000);
      const check = setInterval(() => {
        if (member.joinReplies.length === 0 && member.joinErrors.length === 0) return;
        clearTimeout(timer);
        clearInterval(check);
        if (member.joinReplies.length > 0) resolve();
        else reject(new Error(`${claims.sub} was refused ${topic}: ${JSON.stringify(member.joinErrors[0])}`));
      }, 10);
    });
    return member;
  }

  /** Like join, without waiting for the join reply. */
  open(claims: TestClaims, topic: string, opts: MemberOptions): Member {
    const phx = opts.phx ?? phoenix18;
    const token = signToken(claims);
    const base = opts.target().replace(/^http/, 'ws');
    const log: string[] = [];
    const socket: PhxSocket = new phx.Socket(`${base}/socket`, {
      logger: (kind: string, msg: string, data: unknown) => log.push(`${Date.now()} ${kind}: ${msg} ${JSON.stringify(data) ?? ''}`.slice(0, 300)),
      transport: opts.longpoll ? (phx as any).LongPoll : (routedWebSocket(opts.target) as any),
      params: { token },
      timeout: 5000,
      heartbeatIntervalMs: 5000,
      reconnectAfterMs: () => opts.reconnectAfterMs ?? 100,
      rejoinAfterMs: () => 200,
    });
    const closes: number[] = [];
    socket.onClose((e: any) => {
      closes.push(e?.code);
    });
    socket.connect();
    const channel = socket.channel(topic, (opts.params ?? {}) as object);
    const presence = new phx.Presence(channel);
    const events: Array<{ event: string; payload: any }> = [];
    const joinReplies: any[] = [];
    const joinErrors: any[] = [];
    const origOnMessage = channel.onMessage.bind(channel);
    channel.onMessage = (event: string | null, payload: any, ref: any) => {
      // phoenix.js also runs this for a push that times out after its socket was torn down (event null).
      if (typeof event === 'string' && !event.startsWith('phx_') && !event.startsWith('chan_reply_')) events.push({ event, payload });
      return origOnMessage(event as string, payload, ref);
    };
    // phoenix.js keeps these hooks and runs them again for every rejoin.
    channel
      .join(5000)
      .receive('ok', (reply: unknown) => {
        joinReplies.push(reply);
        events.push({ event: 'join:ok', payload: reply });
      })
      .receive('error', (reply: unknown) => joinErrors.push(reply));
    const member: Member = {
      user: claims.sub,
      socket,
      channel,
      presence,
      events,
      joinReplies,
      joinErrors,
      closes,
      log,
      of: (name) => events.filter((e) => e.event === name).map((e) => e.payload),
      presenceCounts: () => {
        const out: Record<string, number> = {};
        for (const p of presence.list((key: string, v: { metas: unknown[] }) => ({ key, n: v.metas.length }))) out[p.key] = p.n;
        return out;
      },
    };
    this.all.push(member);
    return member;
  }

  closeAll(): void {
    for (const m of this.all.splice(0)) m.socket.disconnect();
  }
}

/** Same keys and meta counts, whatever the order. */
export function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
