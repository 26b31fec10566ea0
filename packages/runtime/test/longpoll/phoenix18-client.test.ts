import { WebSocket } from 'ws';
import { jsonBroadcast } from '@cinder/runtime';
import { startNode, waitFor, type TestNode } from './harness';
import { join, leave, nextEvent, push } from './phoenix-helpers';

// phoenix 1.8.16 in Node: with no XMLHttpRequest its Ajax uses fetch.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Socket, LongPoll } = require('phoenix18');

describe('phoenix.js 1.8 over LongPoll', () => {
  let node: TestNode;
  let sockets: any[] = [];
  const socket = (opts: object) => {
    const s = new Socket(`ws://127.0.0.1:${node.port}/socket`, { timeout: 3000, reconnectAfterMs: () => 50, ...opts });
    sockets.push(s);
    return s;
  };

  afterEach(async () => {
    for (const s of sockets) s.disconnect();
    sockets = [];
    await node.close();
  });

  test('connect with authToken, join, push with reply, receive a broadcast, leave', async () => {
    node = await startNode({ longpoll: { windowMs: 500 } });
    expect(typeof (globalThis as any).XMLHttpRequest).toBe('undefined');
    const s = socket({ transport: LongPoll, authToken: 'secret-token', params: { role: 'lp' } });
    s.connect();
    const room = s.channel('room:lobby', {});
    expect(await join(room)).toEqual({ ok: true });
    expect(node.observed.connects).toEqual([{ params: { role: 'lp', vsn: '2.0.0' }, authToken: 'secret-token' }]);

    expect(await push(room, 'echo', { n: 1 })).toEqual({ status: 'ok', response: { n: 1 } });
    expect(await push(room, 'whoami', {})).toEqual({ status: 'ok', response: { user: 'tok:secret-token', transport: 'longpoll' } });

    // a broadcast published on the node reaches the held poll
    const shouted = nextEvent(room, 'shout');
    node.endpoint.pubsub.broadcast(jsonBroadcast('room:lobby', 'shout', { from: 'server' }));
    expect(await shouted).toEqual({ from: 'server' });
    // and one the client triggers itself comes back to it too
    const own = nextEvent(room, 'shout');
    room.push('shout', { from: 'client' }, 200); // shout has no reply: keep its push timer short
    expect(await own).toEqual({ from: 'client' });

    expect(await leave(room)).toBe('ok');
    await waitFor('the channel to end on the server', () => node.observed.terminated.length === 1);
    expect(node.observed.terminated).toEqual([{ topic: 'room:lobby', reason: 'left' }]);
    expect(s.isConnected()).toBe(true);
  });

  test('150 pushes made in one tick go out as ndjson POSTs of at most 100 lines and every reply comes back', async () => {
    node = await startNode({ longpoll: { windowMs: 500 } });
    const s = socket({ transport: LongPoll, params: { user: 'batcher' } });
    s.connect();
    const room = s.channel('room:batch', {});
    await join(room);
    const replies = await Promise.all(Array.from({ length: 150 }, (_, n) => push(room, 'echo', { n })));
    expect(replies.map((r) => r.response.n)).toEqual(Array.from({ length: 150 }, (_, n) => n));
  });

  test('after a server-side disconnect the client opens a new session and rejoins', async () => {
    node = await startNode({ longpoll: { windowMs: 2000 } });
    const s = socket({ transport: LongPoll, params: { user: 'kicked' } });
    s.connect();
    const room = s.channel('room:kick', {});
    await join(room);
    let errored = false;
    room.onError(() => (errored = true));
    node.endpoint.disconnect('user_socket:kicked');
    // The next poll gets a new-session 410: phoenix.js >= 1.8.2 takes it as "session gone",
    // errors its channels, reconnects and rejoins.
    await waitFor('the channel to error', () => errored);
    await waitFor('the rejoin', () => room.state === 'joined', 5000);
    expect(node.observed.connects.length).toBeGreaterThanOrEqual(2);
    expect(node.observed.terminated).toEqual([{ topic: 'room:kick', reason: 'disconnected' }]);
    expect(await push(room, 'echo', { again: true })).toEqual({ status: 'ok', response: { again: true } });
  });

  test('longPollFallbackMs: when the WebSocket upgrade fails the client ends up on LongPoll', async () => {
    node = await startNode({ longpoll: { windowMs: 500 } }); // no WebSocket transport on this node
    const s = socket({ transport: WebSocket, longPollFallbackMs: 300, params: { user: 'fallback' } });
    s.connect();
    const room = s.channel('room:fallback', {});
    expect(await join(room, 5000)).toEqual({ ok: true });
    expect(s.transport).toBe(LongPoll);
    expect(await push(room, 'whoami', {})).toEqual({ status: 'ok', response: { user: 'fallback', transport: 'longpoll' } });
  });

  test('with a WebSocket transport attached the same client stays on WebSocket (control for the fallback test)', async () => {
    node = await startNode({ longpoll: { windowMs: 500 }, websocket: true });
    const s = socket({ transport: WebSocket, longPollFallbackMs: 300, params: { user: 'ws' } });
    s.connect();
    const room = s.channel('room:ws', {});
    await join(room);
    expect(await push(room, 'whoami', {})).toEqual({ status: 'ok', response: { user: 'ws', transport: 'websocket' } });
    expect(s.transport).toBe(WebSocket);
  });
});
