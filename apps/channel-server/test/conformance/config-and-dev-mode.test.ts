/**
 * CONTRACT §2: production refuses to start without secrets, invalid values
 * stop the server with one line naming the variable, dev mode hands out
 * tokens, a configured JWT_SECRET turns /dev/token off, CHECK_ORIGIN.
 */
import { spawnSync } from 'node:child_process';
import { SERVER_MAIN, startServer, tempDir } from '@cinder/testkit';
import { securedEnv } from '../support/cluster-env';
import { openRaw } from '../support/raw-socket';

function runExpectingFailure(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [SERVER_MAIN], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: tempDir(), PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
  return { status: r.status, stderr: r.stderr };
}

it.each([
  [{ NODE_ENV: 'production', SERVER_API_KEY: 'k' }, 'JWT_SECRET'],
  [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }, 'SERVER_API_KEY'],
  [{ PORT: 'forty' }, 'PORT'],
  [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
  [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
  [{ JWT_PUBLIC_KEY: '/nonexistent/key.pem' }, 'JWT_PUBLIC_KEY'],
  [{ MAX_FRAME_BYTES: '-1' }, 'MAX_FRAME_BYTES'],
  [{ RATE_LIMIT: 'fast' }, 'RATE_LIMIT'],
])('refuses to start with %p, naming %s in one line', (env, variable) => {
  const r = runExpectingFailure(env as Record<string, string>);
  expect(r.status).not.toBe(0);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(variable);
});

describe('dev mode', () => {
  it('hands out tokens that the socket accepts, and prints the API key', async () => {
    const server = await startServer({ JWT_SECRET: undefined, SERVER_API_KEY: undefined, NODE_ENV: 'development' });
    try {
      const r = await fetch(`${server.url}/dev/token?sub=alice&name=Alice&role=coach&sessions=a,b`);
      expect(r.status).toBe(200);
      const { token } = (await r.json()) as { token: string };
      const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: 'alice', name: 'Alice', role: 'coach', sessions: ['a', 'b'] });
      const s = await openRaw(`ws://127.0.0.1:${server.port}/socket/websocket?token=${token}&vsn=2.0.0`);
      s.send(['1', '1', 'session:a', 'phx_join', {}]);
      const reply = await s.next((f) => f[3] === 'phx_reply');
      expect(reply[4].status).toBe('ok');
      s.ws.close();
      expect(server.output()).toMatch(/Server API key: +\S+/);
      expect(server.output()).toMatch(/dev mode/);
    } finally {
      await server.kill();
    }
  });

  it('answers 404 on /dev/token when JWT_SECRET is set', async () => {
    const server = await startServer(securedEnv());
    try {
      const r = await fetch(`${server.url}/dev/token?sub=alice`);
      expect(r.status).toBe(404);
    } finally {
      await server.kill();
    }
  });
});

describe('CHECK_ORIGIN', () => {
  it('allows listed origins and refuses others with 403', async () => {
    const server = await startServer(securedEnv({ CHECK_ORIGIN: 'https://app.example.com,//*.coach.test' }));
    const { signToken } = await import('@cinder/testkit');
    const url = `ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken({ sub: 'a', sessions: '*' })}&vsn=2.0.0`;
    const open = (origin?: string) =>
      new Promise<number>((resolve) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { WebSocket } = require('ws');
        const ws = new WebSocket(url, origin ? { origin } : {});
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_q: unknown, res: { statusCode: number }) => resolve(res.statusCode));
        ws.on('error', () => undefined);
      });
    try {
      expect(await open('https://app.example.com')).toBe(101);
      expect(await open('http://eu.coach.test')).toBe(101);
      expect(await open('https://coach.test')).toBe(101);
      expect(await open('https://evil.example.com')).toBe(403);
      expect(await open('http://app.example.com')).toBe(403);
      expect(await open()).toBe(101);
      const lp = await fetch(`${server.url}/socket/longpoll?vsn=2.0.0`, { headers: { origin: 'https://evil.example.com' } });
      expect(lp.status).toBe(200);
      expect(await lp.json()).toEqual({ status: 403 });
    } finally {
      await server.kill();
    }
  });

  it('allows only the same host in production when unset', async () => {
    const server = await startServer(securedEnv({ NODE_ENV: 'production' }));
    const { signToken } = await import('@cinder/testkit');
    const url = `ws://127.0.0.1:${server.port}/socket/websocket?token=${signToken({ sub: 'a', sessions: '*' })}&vsn=2.0.0`;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { WebSocket } = require('ws');
    const status = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { origin });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_q: unknown, res: { statusCode: number }) => resolve(res.statusCode));
        ws.on('error', () => undefined);
      });
    try {
      expect(await status(`http://127.0.0.1:${server.port}`)).toBe(101);
      expect(await status('https://elsewhere.example')).toBe(403);
    } finally {
      await server.kill();
    }
  });
});
