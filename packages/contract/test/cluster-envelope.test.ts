/**
 * The cluster's Redis wire format, pinned byte for byte: nodes and SDK
 * publishers of different versions must keep reading each other.
 */
import {
  EnvelopeError,
  broadcastChannel,
  controlChannel,
  decodeBroadcast,
  decodeControl,
  encodeBroadcast,
  encodeControl,
  isSdkOrigin,
  readOrigin,
} from '@cinder/contract';

it('a JSON broadcast: [1][0][originLen][origin][eventLen u16be][event][json text]', () => {
  const buf = encodeBroadcast('n1', { topic: 'room:1', event: 'év', payload: { kind: 'json', json: '{"a":1}' } });
  expect([...buf]).toEqual([1, 0, 2, ...Buffer.from('n1'), 0, 3, ...Buffer.from('év'), ...Buffer.from('{"a":1}')]);
  expect(readOrigin(buf)).toBe('n1');
  expect(decodeBroadcast('room:1', buf)).toEqual({ topic: 'room:1', event: 'év', payload: { kind: 'json', json: '{"a":1}' } });
});

it('a binary broadcast carries the bytes of the view only', () => {
  const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
  const buf = encodeBroadcast('sdk:x', { topic: 't', event: 'e', payload: { kind: 'binary', bytes: backing.subarray(2, 5) } });
  expect([...buf]).toEqual([1, 1, 5, ...Buffer.from('sdk:x'), 0, 1, ...Buffer.from('e'), 1, 2, 3]);
  const back = decodeBroadcast('t', buf);
  expect(back.payload.kind).toBe('binary');
  expect([...(back.payload as { bytes: Uint8Array }).bytes]).toEqual([1, 2, 3]);
});

it('a control message: [1][2][originLen][origin][data]', () => {
  const buf = encodeControl('n2', Buffer.from('hi'));
  expect([...buf]).toEqual([1, 2, 2, ...Buffer.from('n2'), ...Buffer.from('hi')]);
  expect(decodeControl(buf).toString()).toBe('hi');
  expect(() => decodeBroadcast('t', buf)).toThrow(EnvelopeError);
  expect(() => decodeControl(encodeBroadcast('n', { topic: 't', event: 'e', payload: { kind: 'json', json: '{}' } }))).toThrow(EnvelopeError);
});

it('refuses what cannot be framed and what is not an envelope', () => {
  const json = { kind: 'json', json: '{}' } as const;
  expect(() => encodeBroadcast('x'.repeat(256), { topic: 't', event: 'e', payload: json })).toThrow(/origin/);
  expect(() => encodeBroadcast('n', { topic: 't', event: 'e'.repeat(0x10000), payload: json })).toThrow(/event name/);
  expect(() => readOrigin(Buffer.from([2, 0, 0]))).toThrow(EnvelopeError);
  expect(() => readOrigin(Buffer.from([1, 0, 5, 65]))).toThrow(EnvelopeError);
  expect(() => decodeBroadcast('t', Buffer.from([1, 0, 1, 65, 0, 9]))).toThrow(/truncated/);
});

it('names the Redis channels and reserves the sdk: origin space', () => {
  expect(broadcastChannel('cinder', 'session:1')).toBe('cinder:b:session:1');
  expect(controlChannel('cinder', 'presence')).toBe('cinder:ctl:presence');
  expect(controlChannel('cinder', 'presence', 'node-a')).toBe('cinder:ctl:presence:node-a');
  expect(isSdkOrigin('sdk:abc')).toBe(true);
  expect(isSdkOrigin('node-sdk:1')).toBe(false);
});
