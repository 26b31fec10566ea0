/**
 * A broadcast is encoded once per serializer, and the very same frame bytes
 * go to every subscriber using that serializer.
 */
import { v1Serializer, v2Serializer, type Frame, type Serializer } from '@cinder/protocol';
import { MemoryAdapter } from '@cinder/pubsub';
import { jsonBroadcast, binaryBroadcast, PubSub, type Subscriber } from '@cinder/runtime';
import { decodeBroadcastPayload } from '../../src/channel/payload';

function counting(base: Serializer): Serializer & { encodes: number } {
  const s = Object.create(base) as Serializer & { encodes: number };
  s.encodes = 0;
  s.encodeBroadcast = (...args: Parameters<Serializer['encodeBroadcast']>) => {
    s.encodes++;
    return base.encodeBroadcast(...args);
  };
  return s;
}

function subscriber(serializer: Serializer, received: Frame[]): Subscriber {
  return { serializer, intercepts: null, deliverFrame: (f) => received.push(f), deliverBroadcast: () => undefined };
}

it('encodes each broadcast once per serializer and shares the bytes', async () => {
  const pubsub = new PubSub(new MemoryAdapter('n1'));
  await pubsub.start();
  const v2 = counting(v2Serializer);
  const v1 = counting(v1Serializer);
  const v2Frames: Frame[] = [];
  const v1Frames: Frame[] = [];
  for (let i = 0; i < 500; i++) pubsub.subscribe('room:a', subscriber(v2, v2Frames));
  for (let i = 0; i < 200; i++) pubsub.subscribe('room:a', subscriber(v1, v1Frames));
  pubsub.broadcast(jsonBroadcast('room:a', 'new_msg', { body: 'hi' }));
  expect(v2.encodes).toBe(1);
  expect(v1.encodes).toBe(1);
  expect(v2Frames).toHaveLength(500);
  expect(v1Frames).toHaveLength(200);
  expect(new Set(v2Frames.map((f) => f.data)).size).toBe(1);
  expect(new Set(v1Frames.map((f) => f.data)).size).toBe(1);
  expect(JSON.parse(v2Frames[0].data.toString())).toEqual([null, null, 'room:a', 'new_msg', { body: 'hi' }]);
  expect(JSON.parse(v1Frames[0].data.toString())).toEqual({ event: 'new_msg', payload: { body: 'hi' }, ref: null, topic: 'room:a' });

  pubsub.broadcast(binaryBroadcast('room:a', 'img', new Uint8Array([1, 2, 3])));
  expect(v2.encodes).toBe(2);
  expect(v2Frames[500].binary).toBe(true);
  expect([...v2Frames[500].data]).toEqual([0x02, 6, 3, ...Buffer.from('room:aimg'), 1, 2, 3]);
  expect(JSON.parse(v1Frames[200].data.toString()).payload).toEqual({ base64: 'AQID' });
});

it('skips the sender with broadcastFrom semantics and subscribes remotely once per topic', async () => {
  const adapter = new MemoryAdapter('n1');
  const subscribed: string[] = [];
  adapter.subscribe = (t: string) => void subscribed.push(t);
  const pubsub = new PubSub(adapter);
  const frames: Frame[] = [];
  const a = subscriber(v2Serializer, frames);
  const b = subscriber(v2Serializer, frames);
  pubsub.subscribe('t', a);
  pubsub.subscribe('t', b);
  pubsub.broadcast(jsonBroadcast('t', 'e', {}), a);
  expect(frames).toHaveLength(1);
  expect(subscribed).toEqual(['t']);
});

it('decodes an intercepted broadcast once for all its subscribers', () => {
  const msg = jsonBroadcast('t', 'e', { n: 1 });
  const first = decodeBroadcastPayload(msg);
  expect(first).toEqual({ n: 1 });
  expect(decodeBroadcastPayload(msg)).toBe(first);
  expect(decodeBroadcastPayload(jsonBroadcast('t', 'e', null))).toBeNull();
  const bytes = new Uint8Array([1, 2]);
  expect(decodeBroadcastPayload(binaryBroadcast('t', 'e', bytes))).toBe(bytes);
});
