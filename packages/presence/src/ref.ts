import { randomBytes } from 'node:crypto';

/**
 * A fresh `phx_ref`: 12 random bytes as unpadded URL-safe base64, which gives
 * the same 16-character [A-Za-z0-9_-] shape as Phoenix's refs. Random rather
 * than time-based because refs only have to be unique, and randomness keeps
 * them unique across nodes without coordination.
 */
export function newRef(): string {
  return randomBytes(12).toString('base64url');
}

/** A replica version: new on every tracker start, so a restarted node is a new replica. */
export function newVsn(): string {
  return randomBytes(6).toString('base64url');
}
