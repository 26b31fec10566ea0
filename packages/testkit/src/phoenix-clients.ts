import { WebSocket } from 'ws';

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * phoenix 1.7 binds its global object (`self`) when it loads and has no
 * fallback for Node, so `self` exists only while it is required.
 */
function requireBrowserish(id: string): typeof import('phoenix') {
  const g = globalThis as any;
  const had = 'self' in g;
  if (!had) g.self = globalThis;
  try {
    return require(id);
  } finally {
    if (!had) delete g.self;
  }
}

// Both stock clients, installed as npm aliases of `phoenix`.
export const phoenix17 = requireBrowserish('phoenix17');
export const phoenix18 = require('phoenix18') as typeof import('phoenix');

/**
 * LongPoll in Node: phoenix 1.7 needs an XMLHttpRequest (1.8 would use fetch
 * but works with XHR as well).
 */
export function installXMLHttpRequest(): void {
  const g = globalThis as any;
  if (!g.XMLHttpRequest) g.XMLHttpRequest = require('xhr2');
}

export const PHOENIX_VERSIONS = [
  ['1.7', phoenix17],
  ['1.8', phoenix18],
] as const;

/** Node has no global WebSocket in v20: hand phoenix.js the `ws` class. */
export const NodeWebSocket = WebSocket;

export type PhoenixModule = typeof import('phoenix');
export type PhxSocket = InstanceType<PhoenixModule['Socket']>;
export type PhxChannel = ReturnType<PhxSocket['channel']>;

/** Resolves with the join reply, rejects with the error reply or on timeout. */
export function joinChannel(channel: PhxChannel, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    channel
      .join(timeoutMs)
      .receive('ok', resolve)
      .receive('error', (e: unknown) => reject(Object.assign(new Error('join error'), { reply: e })))
      .receive('timeout', () => reject(new Error('join timeout')));
  });
}

/** Pushes and resolves with {status, response}. */
export function pushAndWait(channel: PhxChannel, event: string, payload: object, timeoutMs = 5000): Promise<{ status: string; response: any }> {
  return new Promise((resolve) => {
    channel
      .push(event, payload, timeoutMs)
      .receive('ok', (response: unknown) => resolve({ status: 'ok', response }))
      .receive('error', (response: unknown) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout', response: null }));
  });
}

/** Waits until `predicate` holds, polling; throws with `what` on timeout. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
