import { RawClient } from './raw-client';
import { startReferenceServer, type ReferenceServer } from './reference-server';
import { closedWithin, joinV2, nextV2, openV2 } from './sockets';

/*
 * Limits and server-started closes (protocol §4.2, §4.3, §5, §9; §12 vectors
 * 8, 15, 16, 19): the channel cap, frame size, UTF-8, idle sockets, forced
 * disconnect, drain, and that one bad socket leaves the others alone.
 */

const servers: ReferenceServer[] = [];

async function start(opts: Parameters<typeof startReferenceServer>[0] = {}): Promise<ReferenceServer> {
  const s = await startReferenceServer(opts);
  servers.push(s);
  return s;
}

afterEach(async () => {
  RawClient.terminateAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const leaveOf = (user: string) => ({ joins: {}, leaves: { [user]: { metas: [expect.objectContaining({ role: 'student' })] } } });

it('refuses the 101st channel with "too many channels joined" (§12.8)', async () => {
  const server = await start({ maxChannelsPerSocket: 100 });
  const a = await openV2(server);
  for (let i = 0; i < 100; i++) await joinV2(a, `room:c${i}`, String(i + 1));
  a.sendJson(['101', '101', 'room:c100', 'phx_join', {}]);
  expect(await nextV2(a)).toEqual(['101', '101', 'room:c100', 'phx_reply', { response: { reason: 'too many channels joined' }, status: 'error' }]);
  // Nothing was registered: the topic is still unmatched.
  a.sendJson(['101', '102', 'room:c100', 'echo', {}]);
  expect(await nextV2(a)).toEqual([null, '102', 'room:c100', 'phx_reply', { response: { reason: 'unmatched topic' }, status: 'error' }]);
  // Leaving one frees a slot.
  a.sendJson(['1', '103', 'room:c0', 'phx_leave', {}]);
  await nextV2(a);
  await nextV2(a);
  await joinV2(a, 'room:c100', '104');
});

describe('frame limits', () => {
  it('takes a frame of exactly maxFrameBytes and closes with 1009 on a larger one', async () => {
    const server = await start({ maxFrameBytes: 1024 });
    const a = await openV2(server);
    await joinV2(a, 'room:f', '1');
    const frame = (size: number) => {
      const head = '["1","2","room:f","echo",{"p":"';
      const tail = '"}]';
      return head + 'x'.repeat(size - head.length - tail.length) + tail;
    };
    a.sendText(frame(1024));
    const reply = await nextV2(a);
    expect(reply.slice(0, 4)).toEqual(['1', '2', 'room:f', 'phx_reply']);
    a.sendText(frame(1025));
    expect(await a.closed).toMatchObject({ code: 1009, byClient: false });
    expect(server.tracker.list('room:f')).toEqual({});
  });

  it('closes with 1007 on a text frame that is not valid UTF-8, ending that socket only', async () => {
    const server = await start();
    const a = await openV2(server, 'alice');
    const b = await openV2(server, 'bob');
    await joinV2(a, 'room:u', '1');
    await joinV2(b, 'room:u', '1');
    await a.nextJson(); // bob's join diff
    b.sendRawText(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]));
    expect(await b.closed).toMatchObject({ code: 1007, byClient: false });
    expect(await nextV2(a)).toEqual([null, null, 'room:u', 'presence_diff', leaveOf('bob')]);
    await a.expectQuiet();
  });
});

describe('one bad socket does not affect another socket', () => {
  it.each([
    ['undecodable JSON', (c: RawClient) => c.sendText('{"topic": not json')],
    ['an unknown binary kind', (c: RawClient) => c.sendBinary(Buffer.from('01010108023132726f6f6d3a69736f6f6b', 'hex'))],
    ['a truncated binary push', (c: RawClient) => c.sendBinary(Buffer.from('0001010820', 'hex'))],
  ])("%s closes only that socket (1011); the other socket's channels carry on", async (_label, sendBad) => {
    const server = await start();
    const a = await openV2(server, 'alice');
    const b = await openV2(server, 'bob');
    await joinV2(a, 'room:iso', '1');
    await joinV2(b, 'room:iso', '1');
    await a.nextJson(); // bob's join diff
    sendBad(b);
    expect(await b.closed).toMatchObject({ code: 1011, byClient: false });
    expect(b.pending()).toEqual([]);
    expect(await nextV2(a)).toEqual([null, null, 'room:iso', 'presence_diff', leaveOf('bob')]);
    a.sendJson(['1', '2', 'room:iso', 'echo', { still: 'here' }]);
    expect(await nextV2(a)).toEqual(['1', '2', 'room:iso', 'phx_reply', { response: { still: 'here' }, status: 'ok' }]);
    a.sendJson(['1', '3', 'room:iso', 'shout', { n: 1 }]);
    expect(await nextV2(a)).toEqual([null, null, 'room:iso', 'shout', { n: 1 }]);
    await a.expectQuiet();
  });
});

describe('idle sockets (§4.2, §12.16)', () => {
  it('closes a socket that sends nothing with a code other than 1000, and keeps one that heartbeats', async () => {
    const server = await start({ idleTimeoutMs: 600 });
    const idle = await openV2(server, 'idle');
    const active = await openV2(server, 'active');
    await joinV2(idle, 'room:idle', '1');
    let n = 0;
    while (!idle.isClosed && n < 100) {
      const ref = `hb${++n}`;
      active.sendJson([null, ref, 'phoenix', 'heartbeat', {}]);
      expect(await nextV2(active)).toEqual([null, ref, 'phoenix', 'phx_reply', { response: {}, status: 'ok' }]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const info = await idle.closed;
    expect(info.byClient).toBe(false);
    expect(info.code).not.toBe(1000);
    expect(info.code).not.toBe(1005);
    expect(server.tracker.list('room:idle')).toEqual({});
    expect(active.isClosed).toBe(false);
    await active.expectQuiet();
  });
});

describe('server-started closes (§4.3, §5, §12.15, §12.19)', () => {
  it('a forced disconnect closes every socket of that id with 1001 and no frame; other ids stay', async () => {
    const server = await start();
    const dave1 = await openV2(server, 'dave');
    const dave2 = await openV2(server, 'dave');
    const erin = await openV2(server, 'erin');
    await joinV2(erin, 'room:disc', '1');
    await joinV2(dave1, 'room:disc', '1');
    await erin.nextJson(); // dave's join diff
    dave1.sendJson(['1', '2', 'room:disc', 'disconnect_socket', {}]);
    for (const c of [dave1, dave2]) {
      expect(await c.closed).toMatchObject({ code: 1001, byClient: false });
      expect(c.pending()).toEqual([]);
    }
    expect(await nextV2(erin)).toEqual([null, null, 'room:disc', 'presence_diff', leaveOf('dave')]);
    await erin.expectQuiet();
    // The same through the server API (Endpoint.broadcast(socket_id, "disconnect") in Phoenix).
    server.endpoint.disconnect('user_socket:erin');
    expect(await erin.closed).toMatchObject({ code: 1001, byClient: false });
    expect(server.tracker.list('room:disc')).toEqual({});
  });

  it('another event on the socket id topic is ignored', async () => {
    const server = await start();
    const a = await openV2(server, 'frank');
    server.endpoint.pubsub.broadcast({ topic: 'user_socket:frank', event: 'not_disconnect', payload: { kind: 'json', json: '{}' } });
    await a.expectQuiet();
    expect(await closedWithin(a, 50)).toBeNull();
  });

  it('a drain closes every socket with 1012', async () => {
    const server = await start();
    const a = await openV2(server, 'alice');
    const b = await RawClient.open(server.url('/socket/websocket?user=bob&vsn=1.0.0'));
    await joinV2(a, 'room:drain', '1');
    server.endpoint.closeAll(1012, 'service restart');
    for (const c of [a, b]) expect(await c.closed).toMatchObject({ code: 1012, byClient: false });
    expect(server.tracker.list('room:drain')).toEqual({});
  });
});
