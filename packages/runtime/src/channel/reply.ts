/**
 * What a join or an event handler answers. `response` is any JSON value, or
 * a Uint8Array for a binary reply (V2 kind-1 frame over WebSocket).
 */
export interface Reply {
  readonly status: string;
  readonly response: unknown;
}

export function ok(response: unknown = {}): Reply {
  return { status: 'ok', response };
}

export function error(response: unknown): Reply {
  return { status: 'error', response };
}

/** Shorthand for the common `{status:"error", response:{reason}}`. */
export function errorReason(reason: string, extra?: Record<string, unknown>): Reply {
  return { status: 'error', response: extra ? { reason, ...extra } : { reason } };
}

export type JoinResult = Reply;
