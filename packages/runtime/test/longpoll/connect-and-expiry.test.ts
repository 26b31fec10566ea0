import { expectLongPollJson, openSession, post, request, settledWithin, sleep, startNode, waitFor, type TestNode } from './harness';

describe('LongPoll connect refusals and auth (transcript longpoll_auth_and_refused)', () => {
  let node: TestNode;
  beforeEach(async () => {
    node = await startNode({ allowedOrigin: 'http://good.example' });
  });
  afterEach(() => node.close());

  test('a refused connect is HTTP 200 {"status":403}; x-phoenix-authtoken reaches authenticate', async () => {
    const byParam = await request('GET', node.url('vsn=2.0.0&reject=1'));
    expectLongPollJson(byParam, { status: 403 });
    expect(byParam.body).toBe('{"status":403}');
    expectLongPollJson(await request('GET', node.url('vsn=2.0.0'), { headers: { 'x-phoenix-authtoken': 'reject' } }), { status: 403 });
    expect(node.longpoll.sessionCount).toBe(0);

    const opened = await request('GET', node.url('vsn=2.0.0'), { headers: { 'x-phoenix-authtoken': 'secret-token-2' } });
    expectLongPollJson(opened, { messages: [], status: 410, token: expect.any(String) });
    const tq = `vsn=2.0.0&token=${encodeURIComponent(opened.json.token)}`;
    await post(node, tq, '["1","1","room:lpauth","phx_join",{}]');
    await post(node, tq, '["1","2","room:lpauth","whoami",{}]');
    expect((await request('GET', node.url(tq))).json.messages).toEqual([
      '["1","1","room:lpauth","phx_reply",{"response":{"ok":true},"status":"ok"}]',
      '["1","2","room:lpauth","phx_reply",{"response":{"user":"tok:secret-token-2","transport":"longpoll"},"status":"ok"}]',
    ]);
  });

  test('an unparsable or unsupported vsn is refused before authenticate runs', async () => {
    for (const vsn of ['2', 'abc', '2.1.0', '3.0.0', 'x[y]=1']) {
      const query = vsn.includes('=') ? `vsn[x]=1&user=u` : `vsn=${vsn}&user=u`;
      expectLongPollJson(await request('GET', node.url(query)), { status: 403 });
    }
    expect(node.observed.connects).toEqual([]);
    // no vsn at all is V1, as on Phoenix
    expectLongPollJson(await request('GET', node.url('user=u')), { messages: [], status: 410, token: expect.any(String) });
  });

  test('the origin is checked on every request, the preflight included', async () => {
    const bad = { origin: 'http://evil.example' };
    const token = await openSession(node);
    const tq = `vsn=2.0.0&token=${encodeURIComponent(token)}`;
    expectLongPollJson(await request('GET', node.url('vsn=2.0.0&user=x'), { headers: bad }), { status: 403 });
    expectLongPollJson(await request('GET', node.url(tq), { headers: bad }), { status: 403 });
    expectLongPollJson(await request('POST', node.url(tq), { headers: { ...bad, 'content-type': 'text/plain' }, body: '[null,"1","phoenix","heartbeat",{}]' }), {
      status: 403,
    });
    expectLongPollJson(await request('OPTIONS', node.url(tq), { headers: bad }), { status: 403 });
    expectLongPollJson(await request('PUT', node.url(tq), { headers: bad }), { status: 403 });
    expect(node.observed.connects).toHaveLength(1);

    const good = await request('OPTIONS', node.url(tq), { headers: { origin: 'http://good.example' } });
    expect(good.status).toBe(200);
    expect(good.headers['access-control-allow-headers']).toBe('');
  });

  test('token collision: the connect param is the first `token`, the session token the last', async () => {
    const opened = await request('GET', node.url('token=connect-jwt&vsn=2.0.0'));
    expectLongPollJson(opened, { messages: [], status: 410, token: expect.any(String) });
    expect(node.observed.connects[0].params).toEqual({ token: 'connect-jwt', vsn: '2.0.0' });
    const session = opened.json.token as string;
    const both = `token=connect-jwt&vsn=2.0.0&token=${encodeURIComponent(session)}`;

    await post(node, both, '[null,"1","phoenix","heartbeat",{}]');
    expectLongPollJson(await request('GET', node.url(both)), {
      messages: ['[null,"1","phoenix","phx_reply",{"response":{},"status":"ok"}]'],
      status: 200,
      token: session,
    });
    expect(node.observed.connects).toHaveLength(1);

    // The session dies; the next GET opens a new one and connect gets the app's token, not the dead session's.
    node.endpoint.disconnect('user_socket:anon');
    await waitFor('the session to end', () => node.longpoll.sessionCount === 0);
    const reopened = await request('GET', node.url(both));
    expectLongPollJson(reopened, { messages: [], status: 410, token: expect.any(String) });
    expect(node.observed.connects[1].params).toEqual({ token: 'connect-jwt', vsn: '2.0.0' });

    // Without a connect token, a lone dead session token is not passed to connect either.
    node.endpoint.disconnect('user_socket:anon');
    await waitFor('the session to end', () => node.longpoll.sessionCount === 0);
    expectLongPollJson(await request('GET', node.url(`vsn=2.0.0&token=${encodeURIComponent(reopened.json.token)}`)), {
      messages: [],
      status: 410,
      token: expect.any(String),
    });
    expect(node.observed.connects[2].params).toEqual({ vsn: '2.0.0' });
  });

  test('a token is bound to its mount and must be exact', async () => {
    const token = await openSession(node);
    const [nodePart, mount, id] = token.split('.');
    expect(Buffer.from(nodePart, 'base64url').toString()).toBe('solo');
    expect(Buffer.from(id, 'base64url')).toHaveLength(18);
    const otherMount = `${nodePart}.AAAAAAAA.${id}`;
    expect(mount).not.toBe('AAAAAAAA');
    expectLongPollJson(await post(node, `vsn=2.0.0&token=${otherMount}`, '[null,"1","phoenix","heartbeat",{}]'), { status: 410 });
    expectLongPollJson(await post(node, `vsn=2.0.0&token=${token}x`, '[null,"1","phoenix","heartbeat",{}]'), { status: 410 });
    expectLongPollJson(await post(node, `vsn=2.0.0&token=${token}`, '[null,"1","phoenix","heartbeat",{}]'), { status: 200 });
  });
});

describe('LongPoll session lifetime (transcript longpoll_expired_session)', () => {
  let node: TestNode;
  afterEach(() => node.close());

  test('no poll for longer than 1.5 x window_ms ends the session and its channels', async () => {
    node = await startNode({ longpoll: { windowMs: 100 } });
    const q = 'vsn=2.0.0&user=lpexp';
    const token = await openSession(node, q);
    const tq = `${q}&token=${encodeURIComponent(token)}`;
    expectLongPollJson(await post(node, tq, '["1","1","room:lpexp","phx_join",{}]'), { status: 200 });
    expect((await request('GET', node.url(tq))).json.status).toBe(200);
    expect(node.endpoint.connections.size).toBe(1);

    await waitFor('the idle session to end', () => node.longpoll.sessionCount === 0, 2000);
    expect(node.observed.terminated).toEqual([{ topic: 'room:lpexp', reason: 'closed' }]);
    expect(node.endpoint.connections.size).toBe(0);
    expect(node.observed.logs.some((l) => l.msg === 'closing inactive longpoll session')).toBe(true);

    expectLongPollJson(await post(node, tq, '["1","2","room:lpexp","echo",{}]'), { status: 410 });
    const reopened = await request('GET', node.url(tq));
    expectLongPollJson(reopened, { messages: [], status: 410, token: expect.any(String) });
    expect(reopened.json.token).not.toBe(token);
  });

  test('a client that keeps polling keeps its session, however long it lasts', async () => {
    node = await startNode({ longpoll: { windowMs: 100 } });
    const token = await openSession(node);
    const tq = `vsn=2.0.0&token=${encodeURIComponent(token)}`;
    const until = Date.now() + 600;
    while (Date.now() < until) {
      const res = await request('GET', node.url(tq));
      expectLongPollJson(res, { messages: [], status: 204, token });
    }
    expect(node.longpoll.sessionCount).toBe(1);
  });

  test('POSTs alone do not keep a session alive (only polls count, as in Phoenix)', async () => {
    node = await startNode({ longpoll: { windowMs: 100 } });
    const token = await openSession(node);
    const tq = `vsn=2.0.0&token=${encodeURIComponent(token)}`;
    let last = 200;
    const until = Date.now() + 1500;
    while (last === 200 && Date.now() < until) {
      last = (await post(node, tq, '[null,"1","phoenix","heartbeat",{}]')).json.status;
      await sleep(20);
    }
    expect(last).toBe(410);
  });

  test('a server-side disconnect ends the session at once: the held poll is answered, the next GET opens a new session', async () => {
    node = await startNode({ longpoll: { windowMs: 5000 } });
    const token = await openSession(node, 'vsn=2.0.0&user=kicked');
    const tq = `vsn=2.0.0&user=kicked&token=${encodeURIComponent(token)}`;
    await post(node, tq, '["1","1","room:k","phx_join",{}]');
    expect((await request('GET', node.url(tq))).json.messages).toHaveLength(1);

    const held = request('GET', node.url(tq));
    await sleep(50);
    node.endpoint.disconnect('user_socket:kicked');
    // window_ms is 5 s: only the disconnect can answer the poll before 3 s.
    const answered = await settledWithin(held, 3000);
    expect(answered).not.toBeNull();
    expectLongPollJson(answered!, { messages: [], status: 204, token });
    expect(node.observed.terminated).toEqual([{ topic: 'room:k', reason: 'disconnected' }]);
    const next = await request('GET', node.url(tq));
    expectLongPollJson(next, { messages: [], status: 410, token: expect.any(String) });
    expect(next.json.token).not.toBe(token);
  });
});
