import { encodeServerFrame } from '../../src/transports/websocket-wire';
import { referenceServerPerTest } from './server-per-test';
import { joinV2, nextV2, openV1, openV2 } from './sockets';

/*
 * Broadcast frames are framed once and written straight to every socket
 * (transports/websocket-wire.ts). Every payload-length class of RFC 6455's
 * header (7-bit, 16-bit, 64-bit) must arrive intact, in order with the
 * socket's own replies, over V1 and V2 alike.
 */

const server = referenceServerPerTest();

// the frame's JSON around the body is ~40 bytes, so these straddle 125/126 and 65535/65536
const BODY_LENGTHS = [0, 80, 84, 86, 200, 65_490, 65_494, 65_496, 70_000, 300_000];

it('delivers broadcasts of every header length class intact and in order with replies', async () => {
  const a = await openV2(server, 'a');
  const b = await openV2(server, 'b');
  await joinV2(a, 'room:shared', '1');
  await joinV2(b, 'room:shared', '1');
  await nextV2(a); // b's presence_diff
  let ref = 10;
  for (const n of BODY_LENGTHS) {
    const body = 'x'.repeat(n) + 'é';
    a.sendJson(['1', String(ref), 'room:shared', 'shout', { body }]);
    a.sendJson(['1', String(ref + 1), 'room:shared', 'echo', { n }]);
    expect(await nextV2(a)).toEqual([null, null, 'room:shared', 'shout', { body }]);
    expect(await nextV2(a)).toEqual(['1', String(ref + 1), 'room:shared', 'phx_reply', { status: 'ok', response: { n } }]);
    expect(await nextV2(b)).toEqual([null, null, 'room:shared', 'shout', { body }]);
    ref += 2;
  }
  await a.expectQuiet();
  await b.expectQuiet();
});

it('shares one broadcast between V1 and V2 sockets, each in its own format', async () => {
  const v2 = await openV2(server, 'a');
  const v1 = await openV1(server, 'b');
  await joinV2(v2, 'room:mixed', '1');
  v1.sendJson({ topic: 'room:mixed', event: 'phx_join', payload: {}, ref: '1', join_ref: '1' });
  const seenByV1: unknown[] = [];
  for (let i = 0; i < 3; i++) seenByV1.push(await v1.nextJson());
  expect(seenByV1).toContainEqual(expect.objectContaining({ event: 'phx_reply', ref: '1' }));
  await nextV2(v2); // v1's presence_diff
  for (const n of [3, 200, 70_000]) {
    v2.sendJson(['1', '5', 'room:mixed', 'shout', { body: 'y'.repeat(n) }]);
    expect(await nextV2(v2)).toEqual([null, null, 'room:mixed', 'shout', { body: 'y'.repeat(n) }]);
    expect(await v1.nextJson()).toEqual({ topic: 'room:mixed', event: 'shout', payload: { body: 'y'.repeat(n) }, ref: null });
  }
});

it('encodes the three RFC 6455 length forms exactly', () => {
  const header = (n: number, binary = false) => [...encodeServerFrame(Buffer.alloc(n), binary).subarray(0, n < 126 ? 2 : n < 65536 ? 4 : 10)];
  expect(header(0)).toEqual([0x81, 0]);
  expect(header(125, true)).toEqual([0x82, 125]);
  expect(header(126)).toEqual([0x81, 126, 0, 126]);
  expect(header(65535)).toEqual([0x81, 126, 0xff, 0xff]);
  expect(header(65536)).toEqual([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  const wire = encodeServerFrame(Buffer.from('hi'), false);
  expect([...wire]).toEqual([0x81, 2, 0x68, 0x69]);
});
