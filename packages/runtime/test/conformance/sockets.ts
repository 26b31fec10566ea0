import { isDeepStrictEqual } from 'node:util';
import { PHX_REF } from './frame-match';
import { RawClient } from './raw-client';
import type { ReferenceServer } from './reference-server';

/** V2 frame `[join_ref, ref, topic, event, payload]` as parsed JSON. */
export type V2 = [unknown, unknown, string, string, unknown];

export const OK_JOIN = { response: { ok: true }, status: 'ok' };
export const UNMATCHED = { response: { reason: 'unmatched topic' }, status: 'error' };

export function openV2(server: ReferenceServer, user = 'alice'): Promise<RawClient> {
  return RawClient.open(server.url(`/socket/websocket?user=${encodeURIComponent(user)}&vsn=2.0.0`));
}

export function openV1(server: ReferenceServer, user = 'alice'): Promise<RawClient> {
  return RawClient.open(server.url(`/socket/websocket?user=${encodeURIComponent(user)}&vsn=1.0.0`));
}

export async function nextV2(c: RawClient): Promise<V2> {
  const v = await c.nextJson();
  if (!Array.isArray(v) || v.length !== 5) throw new Error(`not a V2 frame: ${JSON.stringify(v)}`);
  return v as V2;
}

/**
 * Joins over V2 and consumes the join's frames: the reply first, then the
 * presence_state push and the joiner's own presence_diff in either order.
 * Returns the joiner's phx_ref.
 */
export async function joinV2(c: RawClient, topic: string, joinRef: string, params: object = {}): Promise<string> {
  c.sendJson([joinRef, joinRef, topic, 'phx_join', params]);
  expectEqual(await nextV2(c), [joinRef, joinRef, topic, 'phx_reply', OK_JOIN]);
  const frames = [await nextV2(c), await nextV2(c)].sort((a, b) => a[3].localeCompare(b[3]));
  const [diff, state] = frames;
  if (diff[3] !== 'presence_diff' || state[3] !== 'presence_state') {
    throw new Error(`expected presence_diff and presence_state, got ${JSON.stringify(frames)}`);
  }
  if (diff[0] !== null || diff[1] !== null || state[0] !== joinRef || state[1] !== null) {
    throw new Error(`wrong refs on presence frames: ${JSON.stringify(frames)}`);
  }
  const joins = (diff[4] as { joins: Record<string, { metas: Array<{ phx_ref: string }> }> }).joins;
  const metas = Object.values(joins)[0]?.metas ?? [];
  const ref = metas[metas.length - 1]?.phx_ref;
  if (typeof ref !== 'string' || !PHX_REF.test(ref)) throw new Error(`no phx_ref in ${JSON.stringify(diff)}`);
  return ref;
}

function expectEqual(got: unknown, want: unknown): void {
  if (!isDeepStrictEqual(got, want)) throw new Error(`expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
}

/** Resolves with the close, or null if the socket is still open after `ms`. */
export async function closedWithin(c: RawClient, ms: number): Promise<{ code: number; byClient: boolean } | null> {
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref());
  return Promise.race([c.closed, timeout]);
}
