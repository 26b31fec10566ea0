/**
 * CONTRACT §6: the server API needs the bearer key on every /api route; the
 * probes and metrics need none. /readyz answers JSON, /metrics names every
 * figure the contract lists.
 */
import { waitFor } from '@cinder/testkit';
import { useApiServer, anyone } from './fixture';

const t = useApiServer();

// Every row has three entries: jest would take a missing third one for `done`.
const ROUTES: Array<[string, string, unknown]> = [
  ['POST', '/api/broadcast', { topic: 'session:auth', event: 'ai:feedback', payload: { message: 'x' }, persist: true }],
  ['POST', '/api/jobs/auth-job', { status: 'running', percent: 10 }],
  ['GET', '/api/sessions/auth/messages', undefined],
  ['GET', '/api/sessions?status=waiting', undefined],
  ['GET', '/api/presence/session:auth', undefined],
  ['POST', '/api/users/auth-user/disconnect', undefined],
];

describe('bearer key', () => {
  it.each(ROUTES)('%s %s answers 401 without a key, with a wrong key and with a malformed header', async (method, path, body) => {
    for (const key of [null, 'wrong-key', '']) {
      const r = await t.call(method, path, body, key);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const basic = await fetch(`${t.url()}${path}`, { method, headers: { authorization: 'Basic dGVzdDp0ZXN0' } });
    expect(basic.status).toBe(401);
    await basic.text();
  });

  it('changes nothing when the key is wrong', async () => {
    const sub = t.uid('u');
    const user = await t.clients.join(anyone(sub), `user:${sub}`);
    await t.call('POST', '/api/broadcast', { topic: `user:${sub}`, event: 'note', payload: { n: 1 } }, 'wrong-key');
    await t.call('POST', `/api/users/${sub}/disconnect`, undefined, 'wrong-key');
    const job = await t.clients.join(anyone(sub), 'job:auth-job');
    expect(job.reply.job).toMatchObject({ status: 'queued', percent: 0, updated_at: null });
    expect((await t.call('GET', '/api/sessions/auth/messages')).body).toEqual({ messages: [] });
    // A later authorised broadcast is the first thing the user sees: the
    // refused one was never delivered and the socket was never closed.
    expect((await t.call('POST', '/api/broadcast', { topic: `user:${sub}`, event: 'note', payload: { n: 2 } })).status).toBe(200);
    await waitFor(() => user.of('note').length > 0, 'the authorised broadcast');
    expect(user.of('note')).toEqual([{ n: 2 }]);
    expect(user.socket.isConnected()).toBe(true);
  });

  it('guards the unfiltered session list too: 401 without a key or with a wrong one, the list with the right one', async () => {
    for (const key of [null, 'wrong-key']) {
      const r = await t.call('GET', '/api/sessions', undefined, key);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const ok = await t.call('GET', '/api/sessions');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ sessions: expect.any(Array) });
  });

  it('accepts the key case-insensitively on the scheme ("bearer")', async () => {
    const r = await fetch(`${t.url()}/api/sessions?status=waiting`, { headers: { authorization: `bearer test-api-key-0123456789` } });
    expect(r.status).toBe(200);
  });

  it('answers unknown /api routes with 404 in the error shape, and only with the key', async () => {
    expect((await t.call('GET', '/api/nothing-here')).body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect((await t.call('GET', '/api/nothing-here')).status).toBe(404);
    expect((await t.call('GET', '/api/nothing-here', undefined, null)).status).toBe(401);
  });
});

describe('probes and metrics', () => {
  it('serves /healthz without a key', async () => {
    const r = await fetch(`${t.url()}/healthz`);
    expect(r.status).toBe(200);
  });

  it('serves /readyz without a key: 200 with a JSON body naming the store as up', async () => {
    const r = await fetch(`${t.url()}/readyz`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await r.json()) as any;
    expect(body).toMatchObject({ status: 'ok', down: [] });
    expect(body.checks).toEqual(expect.arrayContaining([expect.objectContaining({ component: 'store', ok: true })]));
  });

  it('serves /metrics without a key, as Prometheus text with every figure of §6', async () => {
    // Some traffic first, so the counters and histograms have samples.
    const sid = t.uid('metrics');
    const s = await t.clients.join(anyone('metrics-user'), `session:${sid}`);
    const persisted = await t.call('POST', '/api/broadcast', { topic: `session:${sid}`, event: 'ai:insight', payload: { message: 'm' }, persist: true });
    expect(persisted.status).toBe(200);
    await waitFor(() => s.of('ai:insight').length > 0, 'the persisted broadcast');

    const r = await fetch(`${t.url()}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    const value = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      if (!m) throw new Error(`metric ${name} missing:\n${text}`);
      return Number(m[1]);
    };
    expect(value('cinder_connections')).toBeGreaterThanOrEqual(1);
    expect(value('cinder_joined_channels')).toBeGreaterThanOrEqual(1);
    expect(value('cinder_messages_in_total')).toBeGreaterThanOrEqual(1);
    expect(value('cinder_messages_out_total')).toBeGreaterThanOrEqual(1);
    expect(value('cinder_broadcast_fanout_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^# TYPE cinder_broadcast_fanout_seconds histogram$/m);
    expect(value('cinder_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^# TYPE cinder_store_commit_seconds histogram$/m);
    expect(value('cinder_redis_link_up')).toBe(1);
  });
});
