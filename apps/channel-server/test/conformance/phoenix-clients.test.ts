/**
 * The stock phoenix.js clients (1.7 and 1.8) against a real Cinder process,
 * over WebSocket and over LongPoll: connect and refusal, join ok/error, push
 * with reply and with timeout, broadcast to others, leave, heartbeat,
 * Presence across three clients, forced disconnect, rejoin after a server
 * restart, and the automatic LongPoll fallback.
 */
import {
  installXMLHttpRequest,
  joinChannel,
  NodeWebSocket,
  PHOENIX_VERSIONS,
  pushAndWait,
  signToken,
  startServer,
  waitFor,
  type PhoenixModule,
  type PhxSocket,
  type ServerProcess,
} from '@cinder/testkit';
import { WebSocket } from 'ws';
import { api, securedEnv } from '../support/cluster-env';

installXMLHttpRequest();

const TRANSPORTS = ['websocket', 'longpoll'] as const;
const MATRIX = PHOENIX_VERSIONS.flatMap(([version, phx]) => TRANSPORTS.map((t) => [`${version} over ${t}`, version, phx, t] as const));

describe.each(MATRIX)('phoenix.js %s', (_label, version, phx: PhoenixModule, transport) => {
  let server: ServerProcess;
  const sockets: PhxSocket[] = [];
  let n = 0;
  const sid = () => `conf-${version}-${transport}-${++n}-${Date.now()}`;

  beforeAll(async () => {
    server = await startServer(securedEnv());
  });
  afterAll(async () => {
    await server.kill();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });

  function connect(claims: Parameters<typeof signToken>[0] | string, opts: Record<string, unknown> = {}): PhxSocket {
    const token = typeof claims === 'string' ? claims : signToken(claims);
    const socket = new phx.Socket(`ws://127.0.0.1:${server.port}/socket`, {
      transport: (transport === 'websocket' ? NodeWebSocket : phx.LongPoll) as any,
      params: { token },
      reconnectAfterMs: () => 100,
      rejoinAfterMs: () => 100,
      ...opts,
    });
    sockets.push(socket);
    socket.connect();
    return socket;
  }

  function opened(socket: PhxSocket): Promise<void> {
    return new Promise((resolve) => socket.onOpen(() => resolve()));
  }

  it('connects with a valid token and refuses a bad or expired one', async () => {
    const ok = connect({ sub: 'alice', sessions: '*' });
    await opened(ok);
    let errors = 0;
    let opens = 0;
    const bad = connect('not-a-jwt');
    bad.onError(() => errors++);
    bad.onOpen(() => opens++);
    const expired = connect(signToken({ sub: 'bob', sessions: '*', exp: Math.floor(Date.now() / 1000) - 10 }));
    expired.onError(() => errors++);
    expired.onOpen(() => opens++);
    await waitFor(() => errors >= 2, 'refusals');
    expect(opens).toBe(0);
  });

  it('joins an allowed session and is refused an unlisted one', async () => {
    const id = sid();
    const socket = connect({ sub: 'alice', name: 'Alice', role: 'student', sessions: [id] });
    const reply = await joinChannel(socket.channel(`session:${id}`, {}));
    expect(reply.session).toMatchObject({ session_id: id, status: 'waiting', current_step: null });
    expect(reply.messages).toEqual([]);
    expect(reply.recovered).toBe(true);
    await expect(joinChannel(socket.channel(`session:other-${id}`, {}))).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
  });

  it('pushes with a reply, and times out a push that gets none', async () => {
    const id = sid();
    const socket = connect({ sub: 'alice', role: 'student', sessions: '*' });
    const channel = socket.channel(`session:${id}`, {});
    await joinChannel(channel);
    const r = await pushAndWait(channel, 'chat:new', { message: 'hello' });
    expect(r.status).toBe('ok');
    expect(r.response.id).toMatch(/^\d+$/);
    expect(new Date(r.response.inserted_at).toString()).not.toBe('Invalid Date');
    // `typing` has no reply on success: the client's own timeout fires.
    const t = await pushAndWait(channel, 'typing', { typing: true }, 300);
    expect(t.status).toBe('timeout');
  });

  it('broadcasts to the others (typing) and to everyone (chat:added)', async () => {
    const id = sid();
    const a = connect({ sub: 'alice', role: 'student', sessions: '*' });
    const b = connect({ sub: 'coach1', role: 'coach', sessions: '*' });
    const ca = a.channel(`session:${id}`, {});
    const cb = b.channel(`session:${id}`, {});
    await joinChannel(ca);
    await joinChannel(cb);
    const seen = { aTyping: 0, bTyping: [] as unknown[], aAdded: [] as any[], bAdded: [] as any[] };
    ca.on('typing', () => seen.aTyping++);
    cb.on('typing', (p) => seen.bTyping.push(p));
    ca.on('chat:added', (m) => seen.aAdded.push(m));
    cb.on('chat:added', (m) => seen.bAdded.push(m));
    ca.push('typing', { typing: true });
    const sent = await pushAndWait(ca, 'chat:new', { message: 'can you see this?' });
    await waitFor(() => seen.bTyping.length === 1 && seen.aAdded.length === 1 && seen.bAdded.length === 1, 'deliveries');
    expect(seen.aTyping).toBe(0);
    expect(seen.bTyping[0]).toEqual({ user_id: 'alice', typing: true });
    expect(seen.bAdded[0]).toMatchObject({ id: sent.response.id, author_id: 'alice', author_role: 'student', message: 'can you see this?' });
  });

  it('leaves a channel; the others see the presence leave', async () => {
    const id = sid();
    const a = connect({ sub: 'alice', role: 'student', sessions: '*' });
    const b = connect({ sub: 'bob', role: 'student', sessions: '*' });
    const ca = a.channel(`session:${id}`, {});
    const cb = b.channel(`session:${id}`, {});
    const presence = new phx.Presence(cb);
    await joinChannel(cb);
    await joinChannel(ca);
    await waitFor(() => presence.list().length === 2, 'both present');
    await new Promise<void>((resolve) => ca.leave().receive('ok', () => resolve()));
    await waitFor(() => presence.list().length === 1, 'alice left');
    expect(presence.list((k: string) => k)).toEqual(['bob']);
  });

  it('answers heartbeats (socket.ping) and keeps the socket alive', async () => {
    const socket = connect({ sub: 'alice', sessions: '*' }, { heartbeatIntervalMs: 100 });
    await opened(socket);
    const rtt = await new Promise<number>((resolve) => socket.ping((ms: number) => resolve(ms)));
    expect(rtt).toBeGreaterThanOrEqual(0);
    let closes = 0;
    socket.onClose(() => closes++);
    await new Promise((r) => setTimeout(r, 600));
    expect(closes).toBe(0);
    expect(socket.isConnected()).toBe(true);
  });

  it('syncs Presence across three clients, with one key per user and one meta per tab', async () => {
    const id = sid();
    const tabs = [
      connect({ sub: 'alice', name: 'Alice', role: 'student', sessions: '*' }),
      connect({ sub: 'alice', name: 'Alice', role: 'student', sessions: '*' }),
      connect({ sub: 'coach1', name: 'Ian', role: 'coach', sessions: '*' }),
    ];
    const channels = tabs.map((s) => s.channel(`session:${id}`, {}));
    const presences = channels.map((c) => new phx.Presence(c));
    const joins: string[] = [];
    const leaves: string[] = [];
    presences[2].onJoin((key: string, current: unknown) => {
      if (!current) joins.push(key);
    });
    presences[2].onLeave((key: string, current: { metas: unknown[] }) => {
      if (current.metas.length === 0) leaves.push(key);
    });
    for (const c of channels) await joinChannel(c);
    const summary = (p: InstanceType<PhoenixModule['Presence']>) =>
      p
        .list((key: string, { metas }: { metas: Array<{ name: string; role: string; online_at: number; phx_ref: string }> }) => ({
          key,
          tabs: metas.length,
          role: metas[0].role,
          name: metas[0].name,
          refs: metas.every((m) => typeof m.phx_ref === 'string' && typeof m.online_at === 'number'),
        }))
        .sort((x: { key: string }, y: { key: string }) => x.key.localeCompare(y.key));
    const expected = [
      { key: 'alice', tabs: 2, role: 'student', name: 'Alice', refs: true },
      { key: 'coach1', tabs: 1, role: 'coach', name: 'Ian', refs: true },
    ];
    for (const p of presences) await waitFor(() => JSON.stringify(summary(p)) === JSON.stringify(expected), 'presence sync');
    // A LongPoll client sends nothing when it goes away (the server notices
    // 15-30 s later), so this tab leaves its channel explicitly.
    if (transport === 'longpoll') channels[0].leave();
    else tabs[0].disconnect();
    await waitFor(() => summary(presences[2])[0].tabs === 1, 'one alice tab left');
    if (transport === 'longpoll') channels[1].leave();
    else tabs[1].disconnect();
    await waitFor(() => leaves.includes('alice'), 'alice gone');
    expect(joins.sort()).toEqual(['alice', 'coach1']);
  });

  it('is disconnected by the server API with close code 1001 and reconnects', async () => {
    if (transport === 'longpoll' && version === '1.7') {
      // 1.7 takes LongPoll's "session gone" (410) as a fresh open and never
      // closes; what must hold is that the server ended the old session.
      const user = `victim-lp17`;
      const socket = connect({ sub: user, sessions: '*' });
      await opened(socket);
      const channel = socket.channel(`session:${sid()}`, {});
      await joinChannel(channel);
      let opens = 0;
      socket.onOpen(() => opens++);
      await api(server.url, 'POST', `/api/users/${user}/disconnect`);
      await waitFor(() => opens > 0, 'a new LongPoll session', 15000);
      return;
    }
    const user = `victim-${version}-${transport}`;
    const socket = connect({ sub: user, sessions: '*' });
    await opened(socket);
    const codes: number[] = [];
    let reopened = false;
    socket.onClose((e: { code: number }) => codes.push(e.code));
    const r = await api(server.url, 'POST', `/api/users/${user}/disconnect`);
    expect(r.status).toBe(200);
    await waitFor(() => codes.length > 0, 'close', 15000);
    // WebSocket: 1001 as Phoenix >= 1.8.8; LongPoll 1.8: the next poll says
    // "session gone" and the client closes with 3410 itself.
    expect(codes[0]).toBe(transport === 'websocket' ? 1001 : 3410);
    socket.onOpen(() => (reopened = true));
    await waitFor(() => reopened, 'reconnect');
  });
});

describe.each(PHOENIX_VERSIONS)('phoenix.js %s LongPoll fallback', (_version, phx: PhoenixModule) => {
  it('falls back to LongPoll when WebSocket is unavailable', async () => {
    const server = await startServer(securedEnv());
    // A network that blocks WebSocket: every upgrade fails before opening.
    class BlockedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url.replace('/socket/websocket', '/blocked/websocket'), protocols);
        this.on('error', () => undefined);
      }
    }
    const store = new Map<string, string>();
    const socket = new phx.Socket(`ws://127.0.0.1:${server.port}/socket`, {
      transport: BlockedWebSocket as any,
      longPollFallbackMs: 300,
      params: { token: signToken({ sub: 'alice', sessions: '*' }) },
      reconnectAfterMs: () => 100,
      sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) },
    } as any);
    try {
      socket.connect();
      const channel = socket.channel('session:fallback', {});
      await joinChannel(channel, 10000);
      expect((socket as any).transport).toBe(phx.LongPoll);
      const r = await pushAndWait(channel, 'chat:new', { message: 'over long polling' });
      expect(r.status).toBe('ok');
    } finally {
      socket.disconnect();
      await server.kill();
    }
  });
});

describe.each(PHOENIX_VERSIONS)('phoenix.js %s across a server restart', (_version, phx: PhoenixModule) => {
  it('reconnects and rejoins after the server restarts', async () => {
    const env = securedEnv();
    let server = await startServer(env);
    const port = server.port;
    const socket = new phx.Socket(`ws://127.0.0.1:${port}/socket`, {
      transport: NodeWebSocket as any,
      params: { token: signToken({ sub: 'alice', sessions: '*' }) },
      reconnectAfterMs: () => 100,
      rejoinAfterMs: () => 100,
    });
    socket.connect();
    const channel = socket.channel('session:restart', {});
    let joins = 0;
    channel.on('presence_state', () => joins++);
    await joinChannel(channel);
    await waitFor(() => joins === 1, 'first presence_state');
    await server.kill();
    server = await startServer({ ...env, DATABASE_URL: server.env.DATABASE_URL, DATA_DIR: server.env.DATA_DIR }, { port });
    try {
      await waitFor(() => joins === 2, 'rejoin after restart', 15000);
      const r = await pushAndWait(channel, 'chat:new', { message: 'back again' });
      expect(r.status).toBe('ok');
    } finally {
      socket.disconnect();
      await server.kill();
    }
  });
});
