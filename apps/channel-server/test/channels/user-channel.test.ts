/**
 * `user:{id}` exactly as CONTRACT §5.3: only the user whose `sub` is the id
 * may join; back ends publish any event to it through the HTTP API; client
 * pushes are refused.
 */
import { pushAndWait, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';
import { Clients } from '../support/phoenix-session';

let server: ServerProcess;
const clients = new Clients(() => server.port);
const user = (sub: string) => ({ sub, name: sub, role: 'coach', sessions: '*' as const, jobs: '*' as const });

beforeAll(async () => {
  server = await startServer(securedEnv());
});
afterAll(async () => {
  await server.kill();
});
afterEach(() => clients.closeAll());

it('lets the user whose sub is the id join, with an empty reply', async () => {
  const u = await clients.join(user('alice'), 'user:alice');
  expect(u.reply).toEqual({});
});

it('refuses everyone else, whatever their other claims say', async () => {
  for (const [claims, topic] of [
    [user('bob'), 'user:alice'],
    [user('alic'), 'user:alice'],
    [user('alice'), 'user:alice2'],
    [user('alice'), 'user:Alice'],
    [user('alice'), 'user:'],
  ] as const) {
    await expect(clients.join(claims, topic)).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
  }
});

it('delivers any event a back end publishes to every tab of that user, and to nobody else', async () => {
  const tab1 = await clients.join(user('carol'), 'user:carol');
  const tab2 = await clients.join(user('carol'), 'user:carol');
  const dave = await clients.join(user('dave'), 'user:dave');

  const notify = (topic: string, event: string, payload: object) => api(server.url, 'POST', '/api/broadcast', { topic, event, payload });
  expect((await notify('user:carol', 'notification', { kind: 'swing_ready', swing_id: 'sw7' })).status).toBe(200);
  expect((await notify('user:carol', 'session:invited', { session_id: 's9', by: 'Coach Kim' })).status).toBe(200);
  expect((await notify('user:dave', 'notification', { kind: 'other' })).status).toBe(200);

  for (const tab of [tab1, tab2]) {
    await waitFor(() => tab.events.length === 2, 'both notifications');
    expect(tab.events).toEqual([
      { event: 'notification', payload: { kind: 'swing_ready', swing_id: 'sw7' } },
      { event: 'session:invited', payload: { session_id: 's9', by: 'Coach Kim' } },
    ]);
  }
  await waitFor(() => dave.events.length === 1, "dave's notification");
  expect(dave.events).toEqual([{ event: 'notification', payload: { kind: 'other' } }]);
});

it('delivers binary notifications as a V2 binary broadcast', async () => {
  const u = await clients.join(user('erin'), 'user:erin');
  const bytes = Buffer.from('thumbnail \u0000\u00ff bytes', 'latin1');
  expect((await api(server.url, 'POST', '/api/broadcast', { topic: 'user:erin', event: 'thumb', payload_base64: bytes.toString('base64') })).status).toBe(200);
  await waitFor(() => u.of('thumb').length === 1, 'binary notification');
  expect(Buffer.from(u.of('thumb')[0] as ArrayBuffer)).toEqual(bytes);
});

it('answers client pushes with forbidden and stays joined', async () => {
  const u = await clients.join(user('frank'), 'user:frank');
  const otherTab = await clients.join(user('frank'), 'user:frank');
  for (const event of ['notification', 'chat:new', 'anything']) {
    expect(await pushAndWait(u.channel, event, { x: 1 })).toEqual({ status: 'error', response: { reason: 'forbidden' } });
  }
  expect((await api(server.url, 'POST', '/api/broadcast', { topic: 'user:frank', event: 'still-here', payload: {} })).status).toBe(200);
  await waitFor(() => u.of('still-here').length === 1 && otherTab.of('still-here').length === 1, 'event after the refused pushes');
  // A refused push never reaches the user's other tabs.
  expect(otherTab.events.map((e) => e.event)).toEqual(['still-here']);
});
