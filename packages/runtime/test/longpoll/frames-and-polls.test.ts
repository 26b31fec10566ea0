import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LongPollTransport } from '@cinder/runtime';
import { expectLongPollJson, openSession, post, request, settledWithin, sleep, startNode, waitFor, type TestNode } from './harness';

async function joinedSession(node: TestNode, topic: string, user = 'lp'): Promise<string> {
  const token = await openSession(node, `vsn=2.0.0&user=${user}`);
  const tq = `vsn=2.0.0&token=${encodeURIComponent(token)}`;
  expectLongPollJson(await post(node, tq, `["1","1","${topic}","phx_join",{}]`), { status: 200 });
  expect((await request('GET', node.url(tq))).json.messages).toEqual([`["1","1","${topic}","phx_reply",{"response":{"ok":true},"status":"ok"}]`]);
  return tq;
}

describe('LongPoll binary (transcript longpoll_binary)', () => {
  let node: TestNode;
  beforeEach(async () => {
    node = await startNode();
  });
  afterEach(() => node.close());

  test('a base64 ndjson line is a V2 binary push: the handler gets bytes, the reply goes out as {"base64":…}', async () => {
    const tq = await joinedSession(node, 'room:lpbin');
    expectLongPollJson(await post(node, tq, 'AAEBCgQxMnJvb206bHBiaW5lY2hvaGVsbG8tYmluYXJ5', 'application/x-ndjson'), { status: 200 });
    expect(node.observed.received).toHaveLength(1);
    const got = node.observed.received[0].payload;
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(got as Uint8Array).toString()).toBe('hello-binary');
    expectLongPollJson(await request('GET', node.url(tq)), {
      messages: ['["1","2","room:lpbin","phx_reply",{"response":{"base64":"aGVsbG8tYmluYXJ5"},"status":"ok"}]'],
      status: 200,
      token: expect.any(String),
    });

    // bytes that are not UTF-8 (Phoenix fails this GET with HTTP 500 and loses the message)
    expectLongPollJson(await post(node, tq, 'AAEBCgQxM3Jvb206bHBiaW5lY2hv//4A', 'application/x-ndjson'), { status: 200 });
    expect([...(node.observed.received[1].payload as Uint8Array)]).toEqual([0xff, 0xfe, 0x00]);
    expect((await request('GET', node.url(tq))).json.messages).toEqual(['["1","3","room:lpbin","phx_reply",{"response":{"base64":"//4A"},"status":"ok"}]']);
  });

  test('a binary broadcast reaches a LongPoll subscriber as {"base64":…} text', async () => {
    const tq = await joinedSession(node, 'room:lpbin');
    // kind 0 push of "shout" with payload 01 02 03
    const frame = Buffer.concat([Buffer.from([0, 1, 1, 10, 5]), Buffer.from('12room:lpbinshout'), Buffer.from([1, 2, 3])]);
    await post(node, tq, frame.toString('base64'), 'application/x-ndjson');
    expect((await request('GET', node.url(tq))).json.messages).toEqual(['[null,null,"room:lpbin","shout",{"base64":"AQID"}]']);
  });

  test('a line that is neither a JSON array nor base64 closes the session after the lines before it; the POST is still handled', async () => {
    const tq = await joinedSession(node, 'room:bad');
    const body = ['["1","2","room:bad","echo",{"n":1}]', '!!not base64!!', '["1","3","room:bad","echo",{"n":2}]'].join('\n');
    expectLongPollJson(await post(node, tq, body, 'application/x-ndjson'), { status: 200 });
    expect(node.observed.received.map((r) => r.payload)).toEqual([{ n: 1 }]);
    expect(node.endpoint.stats.protocolErrors).toEqual({ invalid_base64: 1 });
    expect(node.longpoll.sessionCount).toBe(0);
    expectLongPollJson(await request('GET', node.url(tq)), { messages: [], status: 410, token: expect.any(String) });
  });
});

describe('LongPoll POST bodies', () => {
  let node: TestNode;
  afterEach(() => node.close());

  test('only the first 100 ndjson lines are handled, in order', async () => {
    node = await startNode();
    const tq = await joinedSession(node, 'room:many');
    const lines = Array.from({ length: 101 }, (_, i) => `["1","${i + 10}","room:many","echo",{"n":${i}}]`);
    expectLongPollJson(await post(node, tq, lines.join('\n'), 'application/x-ndjson'), { status: 200 });
    const messages: string[] = (await request('GET', node.url(tq))).json.messages;
    expect(messages).toHaveLength(100);
    expect(messages.map((m) => JSON.parse(m)[4].response.n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test('empty lines are skipped and \\r\\n separators are accepted', async () => {
    node = await startNode();
    const tq = await joinedSession(node, 'room:crlf');
    const body = '\r\n["1","2","room:crlf","echo",{"n":1}]\r\n\r\n["1","3","room:crlf","echo",{"n":2}]\n';
    expectLongPollJson(await post(node, tq, body, 'application/x-ndjson'), { status: 200 });
    expect((await request('GET', node.url(tq))).json.messages).toEqual([
      '["1","2","room:crlf","phx_reply",{"response":{"n":1},"status":"ok"}]',
      '["1","3","room:crlf","phx_reply",{"response":{"n":2},"status":"ok"}]',
    ]);
    expect(node.longpoll.sessionCount).toBe(1);
  });

  test('only exactly application/x-ndjson is split: with a charset the body is one text frame', async () => {
    node = await startNode();
    const tq = await joinedSession(node, 'room:ct');
    expectLongPollJson(await post(node, tq, '["1","2","room:ct","echo",{"n":1}]', 'application/x-ndjson; charset=utf-8'), { status: 200 });
    expect((await request('GET', node.url(tq))).json.messages).toEqual(['["1","2","room:ct","phx_reply",{"response":{"n":1},"status":"ok"}]']);
    // two lines as one text frame are not JSON: the session closes
    await post(node, tq, '["1","3","room:ct","echo",{}]\n["1","4","room:ct","echo",{}]', 'application/x-ndjson; charset=utf-8');
    expect(node.endpoint.stats.protocolErrors).toEqual({ invalid_json: 1 });
    expect(node.longpoll.sessionCount).toBe(0);
  });

  test('a body over the limit gets HTTP 400 and changes nothing', async () => {
    node = await startNode({ longpoll: { maxBodyBytes: 1000 } });
    const tq = await joinedSession(node, 'room:big');
    const big = `["1","2","room:big","echo",{"s":"${'x'.repeat(2000)}"}]`;
    const res = await post(node, tq, big);
    expect(res.status).toBe(400);
    expect(res.body).toBe('');
    expect(node.observed.received).toEqual([]);
    expectLongPollJson(await post(node, tq, '["1","3","room:big","echo",{"n":1}]'), { status: 200 });
    expect(node.observed.received).toEqual([{ event: 'echo', payload: { n: 1 } }]);
  });

  test('a frame over maxFrameBytes closes the session', async () => {
    node = await startNode({ maxFrameBytes: 200 });
    const tq = await joinedSession(node, 'room:frame');
    await post(node, tq, `["1","2","room:frame","echo",{"s":"${'x'.repeat(300)}"}]`);
    expect(node.endpoint.stats.protocolErrors).toEqual({ frame_too_large: 1 });
    expect(node.observed.received).toEqual([]);
    expect(node.longpoll.sessionCount).toBe(0);
  });
});

describe('LongPoll polls', () => {
  let node: TestNode;
  afterEach(() => node.close());

  test('a held poll is answered as soon as frames arrive, with the whole burst in one response', async () => {
    node = await startNode({ longpoll: { windowMs: 5000 } });
    const tq = await joinedSession(node, 'room:burst');
    const held = request('GET', node.url(tq));
    await sleep(50);
    await post(node, tq, ['["1","2","room:burst","echo",{"n":1}]', '["1","3","room:burst","echo",{"n":2}]'].join('\n'), 'application/x-ndjson');
    const answered = await settledWithin(held, 3000);
    expect(answered?.json.messages).toEqual([
      '["1","2","room:burst","phx_reply",{"response":{"n":1},"status":"ok"}]',
      '["1","3","room:burst","phx_reply",{"response":{"n":2},"status":"ok"}]',
    ]);
  });

  test('a newer poll ends the held one with 204 and gets the frames', async () => {
    node = await startNode({ longpoll: { windowMs: 5000 } });
    const tq = await joinedSession(node, 'room:two');
    const older = request('GET', node.url(tq));
    await sleep(50);
    const newer = request('GET', node.url(tq));
    expectLongPollJson(await older, { messages: [], status: 204, token: expect.any(String) });
    await post(node, tq, '["1","2","room:two","echo",{"n":1}]');
    expect((await newer).json.messages).toEqual(['["1","2","room:two","phx_reply",{"response":{"n":1},"status":"ok"}]']);
  });

  test('frames that arrive after a client aborted its poll wait for the next poll', async () => {
    node = await startNode({ longpoll: { windowMs: 5000 } });
    const tq = await joinedSession(node, 'room:abort');
    const controller = new AbortController();
    const aborted = request('GET', node.url(tq), { signal: controller.signal }).catch((err: Error) => err);
    await sleep(50);
    controller.abort();
    expect(((await aborted) as Error).name).toBe('AbortError');
    await sleep(50);
    await post(node, tq, '["1","2","room:abort","echo",{"n":1}]');
    expect((await request('GET', node.url(tq))).json.messages).toEqual(['["1","2","room:abort","phx_reply",{"response":{"n":1},"status":"ok"}]']);
  });

  test('a session whose unread frames exceed the bound is closed as a slow consumer', async () => {
    node = await startNode({ longpoll: { maxBufferedMessages: 5 } });
    const tq = await joinedSession(node, 'room:slow');
    for (let i = 0; i < 6; i++) {
      expect((await post(node, tq, `["1","${i + 2}","room:slow","echo",{"n":${i}}]`)).json.status).toBe(200);
    }
    await waitFor('the session to close', () => node.longpoll.sessionCount === 0);
    expect(node.endpoint.stats.protocolErrors.slow_consumer).toBe(1);
    expect(node.observed.logs.filter((l) => l.msg === 'disconnecting slow consumer')).toHaveLength(1);
    expect(node.observed.terminated).toEqual([{ topic: 'room:slow', reason: 'closed' }]);
    expectLongPollJson(await post(node, tq, '[null,"9","phoenix","heartbeat",{}]'), { status: 410 });
  });

  test('close() answers held polls and refuses later requests with a retryable status', async () => {
    node = await startNode({ longpoll: { windowMs: 5000 } });
    const tq = await joinedSession(node, 'room:bye');
    const held = request('GET', node.url(tq));
    await sleep(50);
    node.longpoll.close();
    const answered = await settledWithin(held, 3000);
    expectLongPollJson(answered!, { messages: [], status: 204, token: expect.any(String) });
    expect(node.observed.terminated).toEqual([{ topic: 'room:bye', reason: 'shutdown' }]);
    expectLongPollJson(await request('GET', node.url('vsn=2.0.0')), { status: 500 });
  });

  test('a token of one mount is not a session on another mount of the same node', async () => {
    node = await startNode();
    const other = new LongPollTransport(node.endpoint, { path: '/other/longpoll' });
    const server = http.createServer((req, res) => other.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const otherUrl = (q: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/other/longpoll?${q}`;
      const token = await openSession(node);
      const tq = `vsn=2.0.0&token=${encodeURIComponent(token)}`;
      const res = await request('POST', otherUrl(tq), { headers: { 'content-type': 'text/plain' }, body: '[null,"1","phoenix","heartbeat",{}]' });
      expectLongPollJson(res, { status: 410 });
      expectLongPollJson(await post(node, tq, '[null,"1","phoenix","heartbeat",{}]'), { status: 200 });
    } finally {
      other.close();
      await new Promise((r) => server.close(r));
    }
  });
});
