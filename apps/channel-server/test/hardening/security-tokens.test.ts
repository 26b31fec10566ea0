/**
 * Security review, token verification (CONTRACT §2, §4): the algorithm is
 * pinned by configuration, never chosen by the token (`alg: none`, HS256
 * signed with the RS256 public key, another algorithm of the same family,
 * a foreign key: all refused), and `exp` / `nbf` are enforced. Tokens are
 * built by hand with node:crypto so the attacks are exactly what they claim.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { startServer, TEST_JWT_SECRET, type ServerProcess } from '@cinder/testkit';
import { securedEnv } from '../support/cluster-env';
import { V2Client } from './wire';

const b64url = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function jwtWith(alg: string, claims: object, signer: (data: Buffer) => Buffer | string): string {
  const data = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`;
  const sig = signer(Buffer.from(data));
  return `${data}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}
const hs = (alg: 'HS256' | 'HS384', secret: string | Buffer, claims: object) =>
  jwtWith(alg, claims, (d) => createHmac(alg === 'HS256' ? 'sha256' : 'sha384', secret).update(d).digest());
const rs256 = (key: KeyObject, claims: object) => jwtWith('RS256', claims, (d) => sign('sha256', d, key));
const es256 = (key: KeyObject, claims: object) => jwtWith('ES256', claims, (d) => sign('sha256', d, { key, dsaEncoding: 'ieee-p1363' }));
const none = (claims: object) => jwtWith('none', claims, () => '');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const claims = (extra: object = {}) => ({ sub: 'tok-user', name: 'Tok', sessions: ['t1'], exp: now() + 600, ...extra });

let rsServer: ServerProcess;
let hsServer: ServerProcess;
const opened: V2Client[] = [];

beforeAll(async () => {
  [rsServer, hsServer] = await Promise.all([startServer({ JWT_PUBLIC_KEY: publicPem, SERVER_API_KEY: 'k'.repeat(24) }), startServer(securedEnv())]);
});
afterAll(async () => {
  for (const c of opened) c.close();
  await Promise.all([rsServer.kill(), hsServer.kill()]);
});

async function accepted(server: ServerProcess, token: string): Promise<boolean> {
  try {
    const c = await V2Client.open(server.port, token);
    opened.push(c);
    // accepted: the identity is the token's
    expect((await c.join('session:t1')).status).toBe('ok');
    expect((await c.join('session:t2')).response).toEqual({ reason: 'unauthorized' });
    c.close();
    return true;
  } catch (err) {
    expect((err as { status?: number }).status).toBe(403);
    return false;
  }
}

async function longpollStatus(server: ServerProcess, token: string): Promise<number> {
  const res = await fetch(`${server.url}/socket/longpoll?vsn=2.0.0&token=${encodeURIComponent(token)}`);
  return ((await res.json()) as { status: number }).status;
}

describe('a server verifying RS256 with JWT_PUBLIC_KEY', () => {
  it('accepts RS256 tokens signed with the matching private key', async () => {
    expect(await accepted(rsServer, rs256(rsa.privateKey, claims()))).toBe(true);
    expect(await longpollStatus(rsServer, rs256(rsa.privateKey, claims()))).toBe(410);
  });

  it('refuses HS256 tokens signed with the public key as the HMAC secret (key confusion)', async () => {
    for (const secret of [publicPem, publicPem.trim(), rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()]) {
      const forged = hs('HS256', secret, claims());
      expect(await accepted(rsServer, forged)).toBe(false);
      expect(await longpollStatus(rsServer, forged)).toBe(403);
    }
  });

  it('refuses alg none, foreign keys and other curves', async () => {
    expect(await accepted(rsServer, none(claims()))).toBe(false);
    expect(await accepted(rsServer, rs256(otherRsa.privateKey, claims()))).toBe(false);
    expect(await accepted(rsServer, es256(ec.privateKey, claims()))).toBe(false);
    // a valid signature over different claims
    const good = rs256(rsa.privateKey, claims());
    const [h, , s] = good.split('.');
    expect(await accepted(rsServer, `${h}.${b64url(claims({ sub: 'admin', sessions: '*' }))}.${s}`)).toBe(false);
  });
});

describe('a server verifying HS256 with JWT_SECRET', () => {
  it('accepts HS256 with the secret and nothing else', async () => {
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, claims()))).toBe(true);
    expect(await accepted(hsServer, none(claims()))).toBe(false);
    expect(await accepted(hsServer, `${none(claims())}AAAA`)).toBe(false);
    expect(await accepted(hsServer, hs('HS384', TEST_JWT_SECRET, claims()))).toBe(false);
    expect(await accepted(hsServer, rs256(rsa.privateKey, claims()))).toBe(false);
    expect(await accepted(hsServer, hs('HS256', 'a-guessable-secret', claims()))).toBe(false);
  });

  it('enforces exp and nbf with no tolerance, and requires sub', async () => {
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ exp: now() - 1 })))).toBe(false);
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ exp: now() - 3600 })))).toBe(false);
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ nbf: now() + 60 })))).toBe(false);
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ nbf: now() - 60 })))).toBe(true);
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, { name: 'no sub', sessions: '*', exp: now() + 60 }))).toBe(false);
    expect(await accepted(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ sub: 42 })))).toBe(false);
    expect(await longpollStatus(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ exp: now() - 1 })))).toBe(403);
    expect(await longpollStatus(hsServer, hs('HS256', TEST_JWT_SECRET, claims({ nbf: now() + 60 })))).toBe(403);
  });
});
