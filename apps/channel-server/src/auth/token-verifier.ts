import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { normalizeRole, type Identity } from './identity';

export type VerifyResult = { ok: true; identity: Identity } | { ok: false; reason: 'expired' | 'invalid' };

function idList(value: unknown): readonly string[] | '*' | null {
  if (value === undefined || value === null) return [];
  if (value === '*') return '*';
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.map(String);
  return null;
}

/**
 * Verifies client JWTs. The algorithm is pinned by configuration (HS256 with
 * a secret, RS256/ES256 with a public key) so a token cannot choose its own
 * (no `none`, no HS256-signed-with-the-public-key confusion); `exp` and
 * `nbf` are enforced.
 */
export class TokenVerifier {
  /**
   * A KeyObject built once: handed a string, jsonwebtoken first tries to
   * parse it as a PEM public key on every single verification, which made
   * connecting CPU-bound.
   */
  private readonly key: KeyObject;
  private readonly algorithms: Algorithm[];

  constructor(opts: { secret: string | null; publicKey: string | null }) {
    if (opts.publicKey) {
      this.key = createPublicKey(opts.publicKey);
      this.algorithms = ['RS256', 'ES256'];
    } else if (opts.secret) {
      this.key = createSecretKey(Buffer.from(opts.secret, 'utf8'));
      this.algorithms = ['HS256'];
    } else {
      throw new Error('TokenVerifier needs a secret or a public key');
    }
  }

  verify(token: unknown): VerifyResult {
    if (typeof token !== 'string' || token === '' || token.length > 8192) return { ok: false, reason: 'invalid' };
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.key, { algorithms: this.algorithms, clockTolerance: 0 });
    } catch (err) {
      return { ok: false, reason: err instanceof jwt.TokenExpiredError ? 'expired' : 'invalid' };
    }
    if (typeof claims !== 'object' || claims === null) return { ok: false, reason: 'invalid' };
    const sub = claims.sub;
    if (typeof sub !== 'string' || sub === '' || sub.length > 200) return { ok: false, reason: 'invalid' };
    const role = normalizeRole(claims.role);
    const sessions = idList(claims.sessions);
    const jobs = idList(claims.jobs);
    if (!role || sessions === null || jobs === null) return { ok: false, reason: 'invalid' };
    const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name.slice(0, 200) : sub;
    return { ok: true, identity: { sub, name, role, sessions, jobs, exp: typeof claims.exp === 'number' ? claims.exp : undefined } };
  }
}

/** Signs dev-mode tokens (GET /dev/token) with the random dev secret. */
export function signDevToken(secret: string, claims: Record<string, unknown>, ttlSeconds: number): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: ttlSeconds });
}
