/**
 * Every SDK method against a real server (CONTRACT §7), checked from the
 * other side: what stock phoenix.js subscribers receive and what the
 * server stores.
 */
import { createClient, type CinderClient } from '@cinder/sdk';
import { signToken, startServer, TEST_API_KEY, TEST_JWT_SECRET, waitFor, type ServerProcess } from '@cinder/testkit';
import { WebSocket } from 'ws';
import { subscribe } from './subscriber';

let server: ServerProcess;
let cinder: CinderClient;
const subscribers: Array<{ close(): void }> = [];
let n = 0;
const uid = (p: string) => `${p}-${++n}-${Date.now().toString(36)}`;
const watch = async (topic: string, sub?: string) => {
  const s = await subscribe(server.port, topic, sub);
  subscribers.push(s);
  return s;
};

beforeAll(async () => {
  server = await startServer({ JWT_SECRET: TEST_JWT_SECRET, SERVER_API_KEY: TEST_API_KEY });
  cinder = createClient({ url: server.url, apiKey: TEST_API_KEY });
});
afterEach(() => {
  for (const s of subscribers.splice(0)) s.close();
});
afterAll(async () => {
  await server.kill();
});

describe('broadcast', () => {
  it('delivers an ephemeral event and stores nothing', async () => {
    const sid = uid('s');
    const w = await watch(`session:${sid}`);
    expect(await cinder.broadcast(`session:${sid}`, 'swing:uploaded', { swing_id: 'sw1' })).toEqual({ ok: true });
    await waitFor(() => w.of('swing:uploaded').length === 1, 'delivery');
    expect(w.of('swing:uploaded')).toEqual([{ swing_id: 'sw1' }]);
    expect(await cinder.sessionMessages(sid)).toEqual([]);
  });

  it('with {persist: true} stores a Message, returns its id and delivers the payload carrying it', async () => {
    const sid = uid('s');
    const w = await watch(`session:${sid}`);
    const r = await cinder.broadcast(`session:${sid}`, 'ai:feedback', { message: 'Keep your head still.', swing_id: 'sw2' }, { persist: true });
    expect(r).toEqual({ ok: true, id: expect.stringMatching(/^\d+$/) });
    expect(await cinder.sessionMessages(sid)).toEqual([
      expect.objectContaining({ id: r.id, type: 'ai_feedback', author_role: 'ai', message: 'Keep your head still.', meta: { swing_id: 'sw2' } }),
    ]);
    await waitFor(() => w.of('ai:feedback').length === 1, 'delivery');
    expect(w.of('ai:feedback')[0]).toMatchObject({ id: r.id, swing_id: 'sw2' });
  });

  it('sends an idempotency key of its own when persisting, and honours one given', async () => {
    const sid = uid('s');
    const a = await cinder.broadcast(`session:${sid}`, 'ai:insight', { message: 'same text' }, { persist: true });
    const b = await cinder.broadcast(`session:${sid}`, 'ai:insight', { message: 'same text' }, { persist: true });
    // Two calls are two messages: the generated keys differ.
    expect(a.id).not.toBe(b.id);
    const c = await cinder.broadcast(`session:${sid}`, 'ai:insight', { message: 'keyed' }, { persist: true, idempotencyKey: 'analysis-7' });
    const d = await cinder.broadcast(`session:${sid}`, 'ai:insight', { message: 'keyed' }, { persist: true, idempotencyKey: 'analysis-7' });
    expect(d.id).toBe(c.id);
    expect((await cinder.sessionMessages(sid)).map((m) => m.id)).toEqual([a.id, b.id, c.id]);
  });

  it('broadcastBinary delivers the bytes as an ArrayBuffer to V2 and as {"base64"} to V1 clients', async () => {
    const sid = uid('s');
    const w = await watch(`session:${sid}`);
    const v1 = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?vsn=1.0.0&token=${signToken({ sub: 'v1', sessions: '*' })}`);
    const v1frames: any[] = [];
    v1.on('message', (d) => v1frames.push(JSON.parse(d.toString())));
    try {
      await new Promise((resolve, reject) => v1.once('open', resolve).once('error', reject));
      v1.send(JSON.stringify({ topic: `session:${sid}`, event: 'phx_join', payload: {}, ref: '1' }));
      await waitFor(() => v1frames.some((f) => f.ref === '1' && f.payload.status === 'ok'), 'V1 join');

      const bytes = new Uint8Array([137, 80, 78, 71, 0, 255, 1]);
      // A view into a larger buffer: only the viewed bytes may be sent.
      const backing = new Uint8Array(32).fill(7);
      backing.set(bytes, 5);
      expect(await cinder.broadcastBinary(`session:${sid}`, 'frame:shared', backing.subarray(5, 5 + bytes.length))).toEqual({ ok: true });

      await waitFor(() => w.of('frame:shared').length === 1, 'V2 binary delivery');
      const got = w.of('frame:shared')[0];
      expect(got).toBeInstanceOf(ArrayBuffer);
      expect(new Uint8Array(got)).toEqual(bytes);
      await waitFor(() => v1frames.some((f) => f.event === 'frame:shared'), 'V1 delivery');
      expect(v1frames.find((f) => f.event === 'frame:shared').payload).toEqual({ base64: Buffer.from(bytes).toString('base64') });
    } finally {
      v1.close();
    }
  });
});

describe('job(id)', () => {
  it('queued, progress, completed: each answers the JobState and reaches job:{id} subscribers', async () => {
    const id = uid('job');
    const w = await watch(`job:${id}`);
    const job = cinder.job(id);
    expect(job.id).toBe(id);
    expect(await job.queued({ ownerId: 'stu1' })).toEqual({
      job_id: id, status: 'queued', percent: 0, stage: null, message: null, result: null, error: null, updated_at: expect.any(Number),
    });
    expect(await job.progress({ percent: 42, stage: 'pose estimation', message: 'frame 12/30' })).toMatchObject({
      status: 'running', percent: 42, stage: 'pose estimation', message: 'frame 12/30',
    });
    expect(await job.completed({ face_angle: 5.2 })).toMatchObject({ status: 'completed', percent: 100, result: { face_angle: 5.2 } });
    await waitFor(() => w.of('job:completed').length === 1, 'job:completed');
    expect(w.of('job:progress').at(-1)).toMatchObject({ percent: 42, stage: 'pose estimation' });
    expect(w.of('job:completed')[0]).toMatchObject({ result: { face_angle: 5.2 } });
    // The owner given at queue time may follow the job without a jobs claim.
    const owner = await watch(`job:${id}`, 'stu1');
    expect(owner.reply).toMatchObject({ job: { status: 'completed' } });
  });

  it('failed and update publish job:failed and arbitrary updates', async () => {
    const id = uid('job');
    const w = await watch(`job:${id}`);
    expect(await cinder.job(id).update({ status: 'running', percent: 10, stage: 'upload' })).toMatchObject({ status: 'running', percent: 10 });
    expect(await cinder.job(id).failed({ code: 'video_unreadable' })).toMatchObject({ status: 'failed', error: { code: 'video_unreadable' } });
    await waitFor(() => w.of('job:failed').length === 1, 'job:failed');
    expect(w.of('job:failed')[0]).toMatchObject({ error: { code: 'video_unreadable' } });
  });
});

describe('reads and control', () => {
  it('sessionMessages pages with after and limit; sessions lists by status', async () => {
    const sid = uid('s');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await cinder.broadcast(`session:${sid}`, 'ai:insight', { message: `m${i}` }, { persist: true })).id!);
    expect((await cinder.sessionMessages(sid)).map((m) => m.id)).toEqual(ids);
    expect((await cinder.sessionMessages(sid, { limit: 2 })).map((m) => m.id)).toEqual(ids.slice(0, 2));
    expect((await cinder.sessionMessages(sid, { after: ids[2], limit: 2 })).map((m) => m.message)).toEqual(['m3', 'm4']);
    const waiting = await cinder.sessions({ status: 'waiting', limit: 500 });
    expect(waiting.map((s) => s.session_id)).toContain(sid);
    expect((await cinder.sessions({ status: 'ended' })).map((s) => s.session_id)).not.toContain(sid);
    // without a status: every session, most recently changed first, so the one just written leads
    const all = await cinder.sessions();
    expect(all[0].session_id).toBe(sid);
    expect(all.length).toBeLessThanOrEqual(50);
  });

  it('presence lists who is in a topic', async () => {
    const sid = uid('s');
    await watch(`session:${sid}`, 'kim');
    let presence = await cinder.presence(`session:${sid}`);
    const deadline = Date.now() + 5000;
    while (!presence.kim && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      presence = await cinder.presence(`session:${sid}`);
    }
    expect(presence).toEqual({ kim: { metas: [{ name: 'kim', role: 'coach', online_at: expect.any(Number), phx_ref: expect.any(String) }] } });
  });

  it('disconnectUser closes that user\u2019s sockets with 1001', async () => {
    const sub = uid('u');
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket/websocket?vsn=2.0.0&token=${signToken({ sub, sessions: '*' })}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await expect(cinder.disconnectUser(sub)).resolves.toBeUndefined();
    expect(await closed).toBe(1001);
  });
});
