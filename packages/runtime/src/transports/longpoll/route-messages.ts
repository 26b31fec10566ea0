import type { PostLine } from './post-lines';

/**
 * What nodes tell each other to reach a LongPoll session held elsewhere.
 * Requests go to the node named in the session token; replies go back to
 * the asking node. `id` is the asker's request id; `path` is the mount, so
 * two mounts on one node never answer for each other.
 */
export type RouteRequest =
  | { readonly t: 'poll'; readonly id: string; readonly path: string; readonly sid: string }
  | { readonly t: 'send'; readonly id: string; readonly path: string; readonly sid: string; readonly lines: readonly PostLine[] }
  | { readonly t: 'cancel'; readonly id: string; readonly path: string };

export type RouteReply =
  /** the owner holds the poll; the answer follows within window_ms */
  | { readonly t: 'ack'; readonly id: string }
  /** no such session on the owner (expired, closed, never existed) */
  | { readonly t: 'gone'; readonly id: string }
  | { readonly t: 'polled'; readonly id: string; readonly status: 200 | 204; readonly messages: readonly string[] }
  | { readonly t: 'sent'; readonly id: string };

export type RouteMessage = RouteRequest | RouteReply;

export function encodeRoute(msg: RouteMessage): Buffer {
  return Buffer.from(JSON.stringify(msg), 'utf8');
}

const isString = (v: unknown): v is string => typeof v === 'string';

function isLine(v: unknown): v is PostLine {
  return v !== null && typeof v === 'object' && typeof (v as PostLine).base64 === 'boolean' && isString((v as PostLine).text);
}

/** The message, or null for anything malformed (ignored: a peer's bug must not crash us). */
export function decodeRoute(data: Buffer): RouteMessage | null {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || !isString(v.id)) return null;
  switch (v.t) {
    case 'poll':
      return isString(v.path) && isString(v.sid) ? (v as RouteMessage) : null;
    case 'send':
      return isString(v.path) && isString(v.sid) && Array.isArray(v.lines) && v.lines.every(isLine) ? (v as RouteMessage) : null;
    case 'cancel':
      return isString(v.path) ? (v as RouteMessage) : null;
    case 'ack':
    case 'gone':
    case 'sent':
      return v as RouteMessage;
    case 'polled':
      return (v.status === 200 || v.status === 204) && Array.isArray(v.messages) && v.messages.every(isString) ? (v as RouteMessage) : null;
    default:
      return null;
  }
}
