import jwt from 'jsonwebtoken';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-production-0123456789';
export const TEST_API_KEY = 'test-api-key-0123456789';

export interface TestClaims {
  sub: string;
  name?: string;
  role?: string;
  sessions?: string[] | '*';
  jobs?: string[] | '*';
  [claim: string]: unknown;
}

/** An HS256 client token signed with the test secret (expires in 1 h unless `exp` is given). */
export function signToken(claims: TestClaims, secret = TEST_JWT_SECRET, opts: jwt.SignOptions = {}): string {
  const hasExp = 'exp' in claims;
  return jwt.sign(claims, secret, { algorithm: 'HS256', ...(hasExp ? {} : { expiresIn: 3600 }), ...opts });
}
