/**
 * CONTRACT §6: bad input gets 400 with `{error: {code, message}}` and changes
 * nothing — no stored message, no delivery, no job state change.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { waitFor } from '@cinder/testkit';
import { anyone, useApiServer } from './fixture';

const t = useApiServer();

async function rawPost(path: string, body: string, contentType: string | null = 'application/json') {
  const res = await fetch(`${t.url()}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-api-key-0123456789', ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* asserted below */
  }
  return { status: res.status, body: json as any };
}

const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

function expect400(r: { status: number; body: any }, what: string) {
  if (r.status !== 400) throw new Error(`${what}: expected 400, got ${r.status} ${JSON.stringify(r.body)}`);
  expect(r.body).toEqual(errorShape);
  expect(r.body.error.message.length).toBeGreaterThan(0);
}

describe('POST /api/broadcast', () => {
  it('refuses every malformed body with 400 and neither stores nor delivers anything', async () => {
    const sid = t.uid('bad');
    const topic = `session:${sid}`;
    const user = t.uid('bad-user');
    const s = await t.clients.join(anyone('watcher'), topic);
    const u = await t.clients.join(anyone(user), `user:${user}`);
    const ok = { topic, event: 'ai:feedback', payload: { message: 'hello' }, persist: true };

    const rawBodies: Array<[string, string, string | null]> = [
      ['malformed JSON', '{"topic": "session:x", ', 'application/json'],
      ['a JSON array', '[]', 'application/json'],
      ['JSON null', 'null', 'application/json'],
      ['a JSON string', '"broadcast"', 'application/json'],
      ['a JSON number', '42', 'application/json'],
      ['an empty body', '', 'application/json'],
      ['a text/plain body', JSON.stringify(ok), 'text/plain'],
      ['no content type', JSON.stringify(ok), null],
    ];
    for (const [what, body, type] of rawBodies) expect400(await rawPost('/api/broadcast', body, type), what);

    const bodies: Array<[string, unknown]> = [
      ['missing topic', { event: 'ai:feedback', payload: { message: 'x' } }],
      ['missing event', { topic, payload: { message: 'x' } }],
      ['an empty object', {}],
      ['an empty topic', { ...ok, topic: '' }],
      ['an empty event', { ...ok, event: '' }],
      ['a numeric topic', { ...ok, topic: 42 }],
      ['a null event', { ...ok, event: null }],
      ['an array payload', { ...ok, payload: [1, 2] }],
      ['a string payload', { ...ok, payload: 'hello' }],
      ['a string persist', { ...ok, persist: 'true' }],
      ['a numeric idempotency_key', { ...ok, idempotency_key: 7 }],
      ['an empty idempotency_key', { ...ok, idempotency_key: '' }],
      ['an unknown field', { ...ok, priority: 'high' }],
      ['both payload and payload_base64', { ...ok, persist: false, payload_base64: 'aGk=' }],
      ['persist with payload_base64', { topic, event: 'frame:shared', payload_base64: 'aGk=', persist: true }],
      ['payload_base64 that is not base64', { topic, event: 'frame:shared', payload_base64: 'not base64!' }],
      ['a numeric payload_base64', { topic, event: 'frame:shared', payload_base64: 12 }],
      ['persist on a user: topic', { ...ok, topic: `user:${user}` }],
      ['persist on a job: topic', { ...ok, topic: 'job:j1' }],
      ['persist on an empty session id', { ...ok, topic: 'session:' }],
      ['persist with an event that names no type', { ...ok, event: 'weird:thing' }],
      ['persist with an unknown payload.type', { ...ok, payload: { message: 'x', type: 'selfie' } }],
      ['the reserved phoenix topic', { ...ok, persist: false, topic: 'phoenix' }],
      ['a protocol event', { ...ok, persist: false, event: 'phx_reply' }],
      ['a topic with control characters', { ...ok, persist: false, topic: 'session:a\nb' }],
    ];
    for (const [what, body] of bodies) expect400(await t.call('POST', '/api/broadcast', body), what);

    const big = { ...ok, payload: { message: 'x', blob: 'y'.repeat(1100 * 1024) } };
    const tooBig = await t.call('POST', '/api/broadcast', big);
    expect400(tooBig, 'an oversized body');
    expect(tooBig.body.error.code).toBe('payload_too_large');

    // Nothing was stored…
    expect((await t.call('GET', `/api/sessions/${sid}/messages`)).body).toEqual({ messages: [] });
    // …and nothing delivered: a marker published afterwards is the first event.
    await t.call('POST', '/api/broadcast', { topic, event: 'marker' });
    await t.call('POST', '/api/broadcast', { topic: `user:${user}`, event: 'marker' });
    await waitFor(() => s.of('marker').length === 1 && u.of('marker').length === 1, 'markers');
    const seen = (events: Array<{ event: string }>) => events.map((e) => e.event).filter((e) => !e.startsWith('presence_'));
    expect(seen(s.events)).toEqual(['marker']);
    expect(seen(u.events)).toEqual(['marker']);
  });
});

describe('an oversized upload', () => {
  /** Sends the head and a first part of a too-large body, then the rest after a pause; collects whatever comes back. */
  async function slowUpload(pauseMs: number) {
    const { port, hostname } = new URL(t.url());
    const body = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const sock = connect(Number(port), hostname);
    await once(sock, 'connect');
    let answer = '';
    let answeredAt = Infinity;
    sock.on('data', (b: Buffer) => {
      if (answer === '') answeredAt = Date.now();
      answer += b.toString('latin1');
    });
    const failed = new Promise<Error>((resolve) => sock.on('error', resolve));
    sock.write(
      'POST /api/broadcast HTTP/1.1\r\nhost: x\r\nauthorization: Bearer test-api-key-0123456789\r\n' +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    sock.write(body.subarray(0, 64 * 1024));
    await new Promise((r) => setTimeout(r, pauseMs));
    const restSentAt = Date.now();
    sock.write(body.subarray(64 * 1024));
    const ended = once(sock, 'close').then(() => null);
    const stuck = new Promise<Error>((resolve) => setTimeout(() => resolve(new Error('the connection never closed')), 10_000).unref());
    const error = await Promise.race([failed, ended, stuck]);
    sock.destroy();
    return { answer, answeredAt, restSentAt, error };
  }

  it('is read to its end before the 400 goes out, so the sender gets the answer instead of a reset', async () => {
    const r = await slowUpload(300);
    expect(r.error).toBeNull();
    // answering before the whole body arrived is what made the kernel reset the connection under the sender
    expect(r.answeredAt).toBeGreaterThanOrEqual(r.restSentAt);
    expect(r.answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(r.answer.slice(r.answer.indexOf('\r\n\r\n') + 4)).error.code).toBe('payload_too_large');
  });
});

describe('POST /api/jobs/{id}', () => {
  it('refuses malformed updates with 400 and leaves the job unposted and silent', async () => {
    const job = t.uid('badjob');
    const watcher = await t.clients.join(anyone('w'), `job:${job}`);
    const bodies: Array<[string, unknown]> = [
      ['missing status', { percent: 10 }],
      ['an unknown status', { status: 'done' }],
      ['a string percent', { status: 'running', percent: '50' }],
      ['percent above 100', { status: 'running', percent: 150 }],
      ['a negative percent', { status: 'running', percent: -1 }],
      ['a numeric stage', { status: 'running', stage: 3 }],
      ['a numeric message', { status: 'running', message: 3 }],
      ['an empty owner_id', { status: 'running', owner_id: '' }],
      ['a numeric owner_id', { status: 'running', owner_id: 9 }],
      ['an unknown field', { status: 'running', eta: 5 }],
      ['an array body', [{ status: 'running' }]],
    ];
    for (const [what, body] of bodies) expect400(await t.call('POST', `/api/jobs/${job}`, body), what);
    expect400(await rawPost(`/api/jobs/${job}`, '{"status":'), 'malformed JSON');
    expect400(await t.call('POST', `/api/jobs/${'j'.repeat(201)}`, { status: 'running' }), 'a too long job id');

    const late = await t.clients.join(anyone('late'), `job:${job}`);
    expect(late.reply.job).toEqual({ job_id: job, status: 'queued', percent: 0, stage: null, message: null, result: null, error: null, updated_at: null });
    // The first valid update is the first event the early subscriber sees.
    expect((await t.call('POST', `/api/jobs/${job}`, { status: 'running', percent: 5 })).status).toBe(200);
    await waitFor(() => watcher.events.length > 0, 'first job event');
    expect(watcher.events).toEqual([{ event: 'job:progress', payload: expect.objectContaining({ percent: 5 }) }]);
  });
});

describe('queries', () => {
  it.each([
    ['/api/sessions/s1/messages?after=abc', 'a non-numeric after'],
    ['/api/sessions/s1/messages?after=-1', 'a negative after'],
    ['/api/sessions/s1/messages?after=1.5', 'a fractional after'],
    ['/api/sessions/s1/messages?limit=0', 'limit 0'],
    ['/api/sessions/s1/messages?limit=501', 'limit over 500'],
    ['/api/sessions/s1/messages?limit=abc', 'a non-numeric limit'],
    ['/api/sessions/s1/messages?limit=2.5', 'a fractional limit'],
    ['/api/sessions/s1/messages?limit=1&limit=2', 'a repeated limit'],
    ['/api/sessions/s1/messages?since=3', 'an unknown parameter'],
    ['/api/sessions?status=live', 'an unknown status'],
    ['/api/sessions?status=waiting&limit=0', 'limit 0 on sessions'],
    ['/api/sessions?status=waiting&limit=1000', 'limit over 500 on sessions'],
    ['/api/presence/phoenix', 'the reserved phoenix topic'],
  ])('GET %s (%s) answers 400', async (path, what) => {
    expect400(await t.call('GET', path), what);
  });

  it('refuses an over-long user id on disconnect, and an undecodable path', async () => {
    expect400(await t.call('POST', `/api/users/${'u'.repeat(201)}/disconnect`), 'a too long user id');
    expect400(await t.call('POST', `/api/users/${'u'.repeat(3000)}/disconnect`), 'a very long user id');
    expect400(await t.call('GET', '/api/sessions/%E0%A4%A/messages'), 'an undecodable session id');
  });

  it('accepts ids up to the 200 characters the schemas allow', async () => {
    const long = 'x'.repeat(200);
    expect((await t.call('GET', `/api/sessions/${long}/messages`)).body).toEqual({ messages: [] });
    expect((await t.call('POST', `/api/jobs/${long}`, { status: 'queued' })).body.job).toMatchObject({ job_id: long, status: 'queued' });
  });
});
