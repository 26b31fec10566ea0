import { RawClient } from './raw-client';
import { referenceServerPerTest } from './server-per-test';
import { joinV2, nextV2, openV2 } from './sockets';

/*
 * V2 binary frames byte for byte (protocol §2.4, §2.5, §12.9): the kind-0
 * push with its 5-byte header from the client, and the server's kind-0 push
 * (4-byte header, no ref), kind-1 reply and kind-2 broadcast.
 */

const server = referenceServerPerTest();

/** Header fields are length-prefixed by their UTF-8 byte length. */
function frame(kind: number, fields: string[], payload: number[]): Buffer {
  const parts = fields.map((f) => Buffer.from(f, 'utf8'));
  return Buffer.concat([Buffer.from([kind, ...parts.map((p) => p.length)]), ...parts, Buffer.from(payload)]);
}

it("decodes the stock client's example push (JR 1, R 2, room:1, img, 01 02)", async () => {
  const a = await openV2(server);
  await joinV2(a, 'room:1', '1');
  // The reference channel has no "img" handler, so it crashes: the frame's
  // join_ref, topic and event were read right.
  a.sendBinary(Buffer.from('0001010603313272 6f6f6d3a31696d670102'.replace(/ /g, ''), 'hex'));
  expect(await nextV2(a)).toEqual(['1', '1', 'room:1', 'phx_error', { reason: 'channel_crash' }]);
});

it('answers a binary push with a kind-1 reply: 01 len(JR) len(R) len(topic) len(status) …', async () => {
  const a = await openV2(server);
  await joinV2(a, 'room:1', '1');
  a.sendBinary(frame(0, ['1', '2', 'room:1', 'echo'], [1, 2]));
  expect((await a.nextBinary()).toString('hex')).toBe('0101010602' + Buffer.from('12room:1ok').toString('hex') + '0102');
});

it('pushes binary with a kind-0 frame of a 4-byte header and no ref: 00 len(JR) len(topic) len(event) …', async () => {
  const a = await openV2(server);
  await joinV2(a, 'room:1', '12');
  a.sendBinary(frame(0, ['12', '13', 'room:1', 'push_back'], [0x65, 0x66, 0x67]));
  expect((await a.nextBinary()).toString('hex')).toBe('00020606' + Buffer.from('12room:1pushed').toString('hex') + '656667');
  await a.expectQuiet();
});

it('broadcasts binary with a kind-2 frame to every subscriber: 02 len(topic) len(event) …', async () => {
  const a = await openV2(server, 'alice');
  const b = await openV2(server, 'bob');
  await joinV2(a, 'room:1', '1');
  await joinV2(b, 'room:1', '1');
  await a.nextJson(); // bob's join diff
  a.sendBinary(frame(0, ['1', '2', 'room:1', 'shout'], [0xde, 0xad]));
  const expected = '020605' + Buffer.from('room:1shout').toString('hex') + 'dead';
  expect((await a.nextBinary()).toString('hex')).toBe(expected);
  expect((await b.nextBinary()).toString('hex')).toBe(expected);
});

it('measures header fields in UTF-8 bytes, both ways', async () => {
  const a = await openV2(server);
  const topic = 'room:ünï✓';
  await joinV2(a, topic, 'é');
  a.sendBinary(frame(0, ['é', 'ref✓', topic, 'echo'], [0xff]));
  const reply = await a.nextBinary();
  expect(reply.toString('hex')).toBe(frame(1, ['é', 'ref✓', topic, 'ok'], [0xff]).toString('hex'));
  expect([...reply.subarray(0, 5)]).toEqual([1, 2, 6, 13, 2]);
});

it('drops a binary push whose join_ref is empty (not null) silently', async () => {
  const a = await openV2(server);
  await joinV2(a, 'room:1', '1');
  a.sendBinary(frame(0, ['', '4', 'room:1', 'echo'], [0x61]));
  await a.expectQuiet();
});

it('answers an empty binary payload with an empty binary reply', async () => {
  const a = await openV2(server);
  await joinV2(a, 'room:1', '1');
  a.sendBinary(frame(0, ['1', '5', 'room:1', 'echo'], []));
  expect((await a.nextBinary()).toString('hex')).toBe(frame(1, ['1', '5', 'room:1', 'ok'], []).toString('hex'));
});

it('closes with 1011 when a V1 socket sends a binary frame', async () => {
  const a = await RawClient.open(server.url('/socket/websocket?user=alice&vsn=1.0.0'));
  a.sendBinary(frame(0, ['1', '2', 'room:1', 'echo'], [1]));
  expect(await a.closed).toMatchObject({ code: 1011, byClient: false });
});
