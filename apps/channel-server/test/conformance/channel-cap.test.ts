/**
 * With the default limits a client may hold 100 channels and (re)join them
 * all at once; the 101st join is refused as Phoenix refuses it.
 */
import { signToken, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { securedEnv } from '../support/cluster-env';
import { openRaw } from '../support/raw-socket';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer(securedEnv());
});
afterAll(async () => {
  await server.kill();
});

it('joins 100 channels in one burst and refuses the 101st with "too many channels joined"', async () => {
  const s = await openRaw(`ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken({ sub: 'many', sessions: '*' })}&vsn=2.0.0`);
  for (let i = 1; i <= 100; i++) s.send([String(i), String(i), `session:cap-${i}`, 'phx_join', {}]);
  // Joins run concurrently, so their replies may come in any order.
  const replies = () => s.json().filter((f: any) => f[3] === 'phx_reply') as any[];
  await waitFor(() => replies().length === 100, '100 join replies', 20000);
  expect(replies().every((f) => f[4].status === 'ok')).toBe(true);
  expect(new Set(replies().map((f) => f[1])).size).toBe(100);
  s.send(['101', '101', 'session:cap-101', 'phx_join', {}]);
  await waitFor(() => s.json().some((f: any) => f[1] === '101'), 'the 101st reply');
  const refused = s.json().find((f: any) => f[1] === '101');
  expect(refused).toEqual(['101', '101', 'session:cap-101', 'phx_reply', { response: { reason: 'too many channels joined' }, status: 'error' }]);
  s.ws.close();
});
