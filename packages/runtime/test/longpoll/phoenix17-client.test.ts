import { WebSocket } from 'ws';
import { jsonBroadcast } from '@cinder/runtime';
import { startNode, waitFor, type TestNode } from './harness';
import { join, leave, nextEvent, push } from './phoenix-helpers';

// phoenix 1.7.21 needs a browser-like global (`self`) and XMLHttpRequest for
// LongPoll; Node has neither, so the test gives it both (this file's globals only).
/* eslint-disable @typescript-eslint/no-require-imports */
(globalThis as any).self = globalThis;
(globalThis as any).XMLHttpRequest = require('xhr2');
const { Socket, LongPoll } = require('phoenix17');
/* eslint-enable @typescript-eslint/no-require-imports */

describe('phoenix.js 1.7 over LongPoll', () => {
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

  test('connect, join, push with reply, receive a broadcast, leave', async () => {
    node = await startNode({ longpoll: { windowMs: 500 } });
    const s = socket({ transport: LongPoll, params: { user: 'old-client' } });
    s.connect();
    const room = s.channel('room:lobby', {});
    expect(await join(room)).toEqual({ ok: true });
    expect(node.observed.connects.map((c) => c.params)).toEqual([{ user: 'old-client', vsn: '2.0.0' }]);

    expect(await push(room, 'echo', { n: 1 })).toEqual({ status: 'ok', response: { n: 1 } });
    expect(await push(room, 'whoami', {})).toEqual({ status: 'ok', response: { user: 'old-client', transport: 'longpoll' } });

    const shouted = nextEvent(room, 'shout');
    node.endpoint.pubsub.broadcast(jsonBroadcast('room:lobby', 'shout', { from: 'server' }));
    expect(await shouted).toEqual({ from: 'server' });

    expect(await leave(room)).toBe('ok');
    await waitFor('the channel to end on the server', () => node.observed.terminated.length === 1);
    expect(node.observed.terminated).toEqual([{ topic: 'room:lobby', reason: 'left' }]);
  });

  test('several pushes in one tick (one batched POST) all get their replies', async () => {
    node = await startNode({ longpoll: { windowMs: 500 } });
    const s = socket({ transport: LongPoll, params: { user: 'batch17' } });
    s.connect();
    const room = s.channel('room:batch', {});
    await join(room);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, n) => push(room, 'echo', { n })));
    expect(replies.map((r) => r.response.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  test('longPollFallbackMs: when the WebSocket upgrade fails the client ends up on LongPoll', async () => {
    node = await startNode({ longpoll: { windowMs: 500 } });
    const s = socket({ transport: WebSocket, longPollFallbackMs: 300, params: { user: 'fallback17' } });
    s.connect();
    const room = s.channel('room:fallback', {});
    expect(await join(room, 5000)).toEqual({ ok: true });
    expect(s.transport).toBe(LongPoll);
    expect(await push(room, 'whoami', {})).toEqual({ status: 'ok', response: { user: 'fallback17', transport: 'longpoll' } });
  });
});
