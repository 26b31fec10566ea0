import { createHash, randomBytes } from 'node:crypto';

/**
 * LongPoll session tokens: `<node>.<mount>.<session>`, all base64url.
 *
 * - `session` is 144 random bits: the token is a bearer capability, so it
 *   must be unguessable; it carries no secret and needs no signature because
 *   the server only ever looks it up, never trusts its contents.
 * - `node` names the node holding the session, so any node can route a poll
 *   or send to it (no sticky sessions).
 * - `mount` is a short digest of the mount path: a token minted for one
 *   socket mount is not a session on another (Phoenix issue #6791).
 */

const SESSION_ID_BYTES = 18;
const SESSION_ID = /^[A-Za-z0-9_-]{24}$/;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** node ids are short names; anything longer is not one of our tokens */
const MAX_NODE_SEGMENT = 400;

export interface SessionAddress {
  readonly nodeId: string;
  readonly sessionId: string;
}

export function mountTag(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 8);
}

export function newSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url');
}

export function formatSessionToken(nodeId: string, mount: string, sessionId: string): string {
  return `${Buffer.from(nodeId, 'utf8').toString('base64url')}.${mount}.${sessionId}`;
}

/** The session a token names, or null for anything that is not a token of this mount. */
export function parseSessionToken(token: string, mount: string): SessionAddress | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [node, tag, sessionId] = parts;
  if (tag !== mount || !SESSION_ID.test(sessionId)) return null;
  if (node.length === 0 || node.length > MAX_NODE_SEGMENT || !SEGMENT.test(node)) return null;
  const nodeId = Buffer.from(node, 'base64url').toString('utf8');
  // Reject non-canonical encodings so one session has exactly one token.
  if (nodeId === '' || Buffer.from(nodeId, 'utf8').toString('base64url') !== node) return null;
  return { nodeId, sessionId };
}
