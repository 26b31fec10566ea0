/**
 * The limit variables parse like the rest of CONTRACT §2: defaults when
 * unset, and a bad value stops the server with one line naming the variable.
 */
import { spawnSync } from 'node:child_process';
import { SERVER_MAIN } from '@cinder/testkit';
import { ConfigError, loadConfig } from '../../src/config/config';

it('defaults: 20 sockets per user, 20/200 joins per second, 8 MiB buffered', () => {
  const c = loadConfig({});
  expect(c.maxSocketsPerUser).toBe(20);
  expect(c.joinRateLimit).toEqual({ perSecond: 20, burst: 200 });
  expect(c.maxBufferedBytes).toBe(8 * 1024 * 1024);
  expect(c.rateLimit).toEqual({ perSecond: 50, burst: 100 });
});

it('reads the variables', () => {
  const c = loadConfig({ MAX_SOCKETS_PER_USER: '3', JOIN_RATE_LIMIT: '2 / 4', MAX_BUFFERED_BYTES: '1048576' });
  expect([c.maxSocketsPerUser, c.joinRateLimit, c.maxBufferedBytes]).toEqual([3, { perSecond: 2, burst: 4 }, 1048576]);
});

it.each([
  [{ MAX_SOCKETS_PER_USER: 'many' }, 'MAX_SOCKETS_PER_USER'],
  [{ MAX_SOCKETS_PER_USER: '0' }, 'MAX_SOCKETS_PER_USER'],
  [{ JOIN_RATE_LIMIT: '10' }, 'JOIN_RATE_LIMIT'],
  [{ JOIN_RATE_LIMIT: '0/5' }, 'JOIN_RATE_LIMIT'],
  [{ MAX_BUFFERED_BYTES: '8MB' }, 'MAX_BUFFERED_BYTES'],
  [{ MAX_BUFFERED_BYTES: '1024' }, 'MAX_BUFFERED_BYTES'],
])('refuses %j naming %s', (env, variable) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}: `));
});

it('a real process stops at start with one line naming the variable', () => {
  const r = spawnSync(process.execPath, [SERVER_MAIN], { env: { ...process.env, PORT: '0', JOIN_RATE_LIMIT: 'fast' }, encoding: 'utf8', timeout: 15000 });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^cinder: invalid configuration: JOIN_RATE_LIMIT: /)]);
});
