import { TrackerError, type Meta, type PresenceMeta } from './types';

/**
 * The stored meta: a detached JSON copy of the application's map (so later
 * mutation by the caller cannot change what peers see, and anything that
 * cannot cross the wire fails here, at the caller) plus our refs. Keys are
 * sorted, as Phoenix's encoder emits small maps, so frames match Phoenix's
 * byte for byte apart from the refs.
 */
export function withRefs(meta: Meta, ref: string, prev?: string): PresenceMeta {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new TrackerError('invalid_argument', 'presence meta must be a plain object');
  }
  let copy: Record<string, unknown>;
  try {
    copy = JSON.parse(JSON.stringify(meta), (_k, v: unknown) => (isPlainObject(v) ? sortKeys(v) : v));
  } catch (err) {
    throw new TrackerError('invalid_argument', `presence meta is not JSON-serializable: ${(err as Error).message}`);
  }
  if (!isPlainObject(copy)) throw new TrackerError('invalid_argument', 'presence meta must serialize to a JSON object');
  delete copy.phx_ref;
  delete copy.phx_ref_prev;
  copy.phx_ref = ref;
  if (prev !== undefined) copy.phx_ref_prev = prev;
  return Object.freeze(sortKeys(copy)) as PresenceMeta;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) {
    // defineProperty: a "__proto__" key stays a plain key instead of replacing the prototype.
    Object.defineProperty(out, k, { value: obj[k], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function checkOwner(owner: unknown): void {
  if ((typeof owner !== 'object' && typeof owner !== 'function') || owner === null) {
    throw new TrackerError('invalid_argument', 'presence owner must be an object');
  }
}

export function checkTopic(topic: unknown): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new TrackerError('invalid_argument', 'presence topic must be a non-empty string');
  }
}

export function checkKey(key: unknown): void {
  if (typeof key !== 'string') throw new TrackerError('invalid_argument', 'presence key must be a string');
}
