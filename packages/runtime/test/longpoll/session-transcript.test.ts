import { expectLongPollJson, openSession, post, request, startNode, type TestNode } from './harness';

// Reproduces longpoll_session.v2 / .v1 from the Phoenix transcripts (our test
// channel has no presence, so the join GET carries only the join reply).
describe('LongPoll session (transcript longpoll_session)', () => {
  let node: TestNode;
  beforeEach(async () => {
    node = await startNode({ longpoll: { windowMs: 300 } });
  });
  afterEach(() => node.close());

  test('v2: open, join, echo, ndjson batch, header token, held poll 204, bogus tokens, leave', async () => {
    const q = 'vsn=2.0.0&user=lpuser-v2';
    // POST before any session exists
    expectLongPollJson(await post(node, q, '["1","1","room:lp-v2","phx_join",{}]'), { status: 410 });

    const opened = await request('GET', node.url(q));
    expectLongPollJson(opened, { messages: [], status: 410, token: expect.any(String) });
    const token: string = opened.json.token;
    expect(opened.body).toBe(`{"messages":[],"status":410,"token":"${token}"}`);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(node.observed.connects).toEqual([{ params: { vsn: '2.0.0', user: 'lpuser-v2' }, authToken: undefined }]);

    const tq = `${q}&token=${encodeURIComponent(token)}`;
    const joined = await post(node, tq, '["1","1","room:lp-v2","phx_join",{"role":"lp"}]');
    expectLongPollJson(joined, { status: 200 });
    expect(joined.body).toBe('{"status":200}');

    const first = await request('GET', node.url(tq));
    expectLongPollJson(first, { messages: ['["1","1","room:lp-v2","phx_reply",{"response":{"ok":true},"status":"ok"}]'], status: 200, token });
    expect(first.body).toBe(`{"messages":["[\\"1\\",\\"1\\",\\"room:lp-v2\\",\\"phx_reply\\",{\\"response\\":{\\"ok\\":true},\\"status\\":\\"ok\\"}]"],"status":200,"token":"${token}"}`);

    expectLongPollJson(await post(node, tq, '["1","2","room:lp-v2","echo",{"n":1}]'), { status: 200 });
    expectLongPollJson(await request('GET', node.url(tq)), {
      messages: ['["1","2","room:lp-v2","phx_reply",{"response":{"n":1},"status":"ok"}]'],
      status: 200,
      token,
    });

    const batch = '["1","3","room:lp-v2","echo",{"n":2}]\n["1","4","room:lp-v2","echo",{"n":3}]\n[null,"5","phoenix","heartbeat",{}]';
    expectLongPollJson(await post(node, tq, batch, 'application/x-ndjson'), { status: 200 });
    // token in the x-phoenix-longpoll-token header instead of the query
    const viaHeader = await request('GET', node.url('vsn=2.0.0'), { headers: { 'x-phoenix-longpoll-token': token } });
    expectLongPollJson(viaHeader, {
      messages: [
        '["1","3","room:lp-v2","phx_reply",{"response":{"n":2},"status":"ok"}]',
        '["1","4","room:lp-v2","phx_reply",{"response":{"n":3},"status":"ok"}]',
        '[null,"5","phoenix","phx_reply",{"response":{},"status":"ok"}]',
      ],
      status: 200,
      token,
    });

    // nothing pending: held for window_ms, then 204
    const started = Date.now();
    const empty = await request('GET', node.url(tq));
    expectLongPollJson(empty, { messages: [], status: 204, token });
    expect(empty.body).toBe(`{"messages":[],"status":204,"token":"${token}"}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    expectLongPollJson(await post(node, `${q}&token=bogus`, '["1","9","room:lp-v2","echo",{}]'), { status: 410 });
    const fresh = await request('GET', node.url(`${q}&token=bogus`));
    expectLongPollJson(fresh, { messages: [], status: 410, token: expect.any(String) });
    expect(fresh.json.token).not.toBe(token);
    expect(node.longpoll.sessionCount).toBe(2);

    const preflight = await request('OPTIONS', node.url(q), { headers: { 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(200);
    expect(preflight.body).toBe('');
    expect(preflight.headers).toMatchObject({
      'content-length': '0',
      'cache-control': 'max-age=0, private, must-revalidate',
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'content-type',
      'access-control-allow-methods': 'get, post, options',
      'access-control-max-age': '3600',
    });

    expectLongPollJson(await post(node, tq, '["1","10","room:lp-v2","phx_leave",{}]'), { status: 200 });
    expectLongPollJson(await request('GET', node.url(tq)), {
      messages: ['["1","10","room:lp-v2","phx_reply",{"response":{},"status":"ok"}]', '["1","1","room:lp-v2","phx_close",{}]'],
      status: 200,
      token,
    });
    expect(node.observed.terminated).toEqual([{ topic: 'room:lp-v2', reason: 'left' }]);

    const put = await request('PUT', node.url(tq), { body: '' });
    expect(put.status).toBe(400);
    expect(put.body).toBe('');
    expect(put.headers).toMatchObject({
      'content-length': '0',
      'cache-control': 'max-age=0, private, must-revalidate',
      'access-control-allow-origin': '*',
    });
    expect(put.headers['content-type']).toBeUndefined();
  });

  test('v1: object frames over text/plain; an ndjson V1 batch is not base64 and closes the session', async () => {
    const q = 'vsn=1.0.0&user=lpuser-v1';
    const token = await openSession(node, q);
    const tq = `${q}&token=${encodeURIComponent(token)}`;
    expectLongPollJson(await post(node, tq, '{"topic":"room:lp-v1","event":"phx_join","payload":{},"ref":"1"}'), { status: 200 });
    expectLongPollJson(await post(node, tq, '{"topic":"room:lp-v1","event":"echo","payload":{"n":1},"ref":"2"}'), { status: 200 });
    expectLongPollJson(await request('GET', node.url(tq)), {
      messages: [
        '{"event":"phx_reply","payload":{"response":{"ok":true},"status":"ok"},"ref":"1","topic":"room:lp-v1"}',
        '{"event":"phx_reply","payload":{"response":{"n":1},"status":"ok"},"ref":"2","topic":"room:lp-v1"}',
      ],
      status: 200,
      token,
    });

    // Phoenix answers this with HTTP 500; we close the session and count the POST as handled.
    const batch = '{"topic":"room:lp-v1","event":"echo","payload":{"n":2},"ref":"3"}\n{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"4"}';
    expectLongPollJson(await post(node, tq, batch, 'application/x-ndjson'), { status: 200 });
    expect(node.endpoint.stats.protocolErrors).toEqual({ invalid_base64: 1 });
    expect(node.observed.terminated).toEqual([{ topic: 'room:lp-v1', reason: 'closed' }]);
    expectLongPollJson(await post(node, tq, '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"5"}'), { status: 410 });
    const reopened = await request('GET', node.url(tq));
    expectLongPollJson(reopened, { messages: [], status: 410, token: expect.any(String) });
    expect(reopened.json.token).not.toBe(token);
  });
});
