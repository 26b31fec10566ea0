import { startServer, type ServerProcess } from '@cinder/testkit';
import { api, securedEnv } from '../support/cluster-env';
import { Clients } from '../support/phoenix-session';
import { openRaw } from '../support/raw-socket';
import { signToken, type TestClaims } from '@cinder/testkit';

/**
 * One real server (fresh Postgres database) per test file, plus phoenix.js
 * clients that are closed after each test.
 */
export function useApiServer(env: Record<string, string> = {}) {
  let server: ServerProcess | undefined;
  const clients = new Clients(() => running().port);
  const running = () => {
    if (!server) throw new Error('server not started');
    return server;
  };
  beforeAll(async () => {
    server = await startServer(securedEnv(env));
  });
  const raws: Array<{ ws: { close(): void } }> = [];
  afterEach(() => {
    clients.closeAll();
    for (const r of raws.splice(0)) r.ws.close();
  });
  afterAll(async () => {
    await server?.kill();
  });
  let n = 0;
  return {
    clients,
    server: running,
    url: () => running().url,
    /** a unique id so tests never see each other's data */
    uid: (prefix: string) => `${prefix}-${++n}-${Date.now().toString(36)}`,
    call: (method: string, path: string, body?: unknown, key?: string | null) => api(running().url, method, path, body, key),
    /** a raw vsn=1.0.0 socket joined to `topic` (V1 speaks JSON objects) */
    async rawV1(claims: TestClaims, topic: string) {
      const s = await openRaw(`ws://127.0.0.1:${running().port}/socket/websocket?token=${signToken(claims)}&vsn=1.0.0`);
      raws.push(s);
      s.send({ topic, event: 'phx_join', payload: {}, ref: '1' });
      const reply = await s.next((f) => f.event === 'phx_reply' && f.ref === '1');
      if (reply.payload.status !== 'ok') throw new Error(`V1 join failed: ${JSON.stringify(reply)}`);
      return s;
    },
  };
}

export const anyone = (sub: string): TestClaims => ({ sub, name: sub, role: 'student', sessions: '*', jobs: '*' });
