import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares bearer keys in constant time (hashing first equalises lengths). */
export function bearerMatches(header: string | undefined, apiKey: string): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(apiKey).digest();
  return timingSafeEqual(a, b);
}
