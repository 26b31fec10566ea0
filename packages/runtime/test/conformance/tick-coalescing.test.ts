import { jsonBroadcast } from '@cinder/runtime';
import { corkedCount } from '../../src/transports/tick-coalescing';
import { referenceServerPerTest } from './server-per-test';
import { joinV2, nextV2, openV2 } from './sockets';

/*
 * Frames a socket gets within one tick are corked and leave together
 * (transports/tick-coalescing.ts); the first frame of a tick is written at
 * once. Either way every frame arrives, in order.
 */

const server = referenceServerPerTest();

const tickDone = () => new Promise((resolve) => setImmediate(resolve));

it('corks each socket on its second frame of a tick and flushes everything in order after it', async () => {
  const a = await openV2(server, 'a');
  const b = await openV2(server, 'b');
  await joinV2(a, 'room:burst', '1');
  await joinV2(b, 'room:burst', '1');
  await nextV2(a); // b's presence_diff
  await tickDone();

  const pubsub = server.endpoint.pubsub;
  pubsub.broadcast(jsonBroadcast('room:burst', 'n', { i: 0 }));
  // one frame each so far: written straight away, nothing corked
  expect(corkedCount()).toBe(0);
  for (let i = 1; i < 50; i++) pubsub.broadcast(jsonBroadcast('room:burst', 'n', { i }));
  expect(corkedCount()).toBe(2);
  await tickDone();
  expect(corkedCount()).toBe(0);

  for (const c of [a, b]) {
    for (let i = 0; i < 50; i++) expect(await nextV2(c)).toEqual([null, null, 'room:burst', 'n', { i }]);
  }
  // the next tick starts afresh: its first frame is not corked
  pubsub.broadcast(jsonBroadcast('room:burst', 'n', { i: 50 }));
  expect(corkedCount()).toBe(0);
  expect(await nextV2(a)).toEqual([null, null, 'room:burst', 'n', { i: 50 }]);
  await a.expectQuiet();
});

it('keeps a reply behind the broadcasts corked before it', async () => {
  const a = await openV2(server, 'a');
  await joinV2(a, 'room:order', '1');
  await tickDone();
  const conn = [...server.endpoint.connections][0];
  server.endpoint.pubsub.broadcast(jsonBroadcast('room:order', 'n', { i: 0 }));
  server.endpoint.pubsub.broadcast(jsonBroadcast('room:order', 'n', { i: 1 }));
  // a reply written in the same tick goes through ws.send into the same corked socket
  conn.handleMessage({ joinRef: null, ref: '9', topic: 'phoenix', event: 'heartbeat', payload: {}, binary: false });
  expect(await nextV2(a)).toEqual([null, null, 'room:order', 'n', { i: 0 }]);
  expect(await nextV2(a)).toEqual([null, null, 'room:order', 'n', { i: 1 }]);
  expect(await nextV2(a)).toEqual([null, '9', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
});
