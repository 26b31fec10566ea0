import {
  MAX_API_BODY_BYTES,
  MAX_EVENT_LENGTH,
  MAX_PAYLOAD_BASE64_LENGTH,
  MAX_TOPIC_LENGTH,
  RESERVED_EVENT_PREFIX,
  RESERVED_TOPIC,
  hasControlCharacters,
  type ClusterBroadcast,
} from '@cinder/contract';
import { CinderApiError } from './errors';
import { encodeJson } from './json';

/*
 * `redisUrl` mode publishes without asking a node, so it must refuse exactly
 * what POST /api/broadcast refuses, with the same status and code, and hand
 * the cluster exactly the JSON text a node would have published. The checks
 * run in the server's order: the body size (Fastify, before parsing), the
 * prototype-poisoning guard of its JSON parser, then the route's schema.
 */

const refuse = (code: string, message: string) => new CinderApiError(400, code, message);

/** Bytes of `{"k1":v1,"k2":v2}` given each value's encoded byte length; undefined values are left out, as JSON.stringify leaves them out. */
function objectBytes(fields: ReadonlyArray<readonly [key: string, valueBytes: number | undefined]>): number {
  let bytes = 2;
  let count = 0;
  for (const [key, valueBytes] of fields) {
    if (valueBytes === undefined) continue;
    bytes += (count++ > 0 ? 1 : 0) + key.length + 3 + valueBytes;
  }
  return bytes;
}

const jsonBytes = (json: string | undefined) => (json === undefined ? undefined : Buffer.byteLength(json));

/**
 * Fastify's JSON parser refuses bodies holding an own `__proto__` key or a
 * `constructor` object with a `prototype`, anywhere; the HTTP path answers
 * them with `invalid_request`.
 */
function poisoned(json: string): boolean {
  // JSON.stringify never escapes these characters, so a cheap text search rules out nearly every payload.
  if (!json.includes('"__proto__":') && !json.includes('"constructor":')) return false;
  const has = Object.prototype.hasOwnProperty;
  let level: object[] = [JSON.parse(json) as object];
  while (level.length > 0) {
    const next: object[] = [];
    for (const node of level) {
      if (has.call(node, '__proto__')) return true;
      if (has.call(node, 'constructor')) {
        const ctor: unknown = (node as { constructor: unknown }).constructor;
        if (ctor !== null && typeof ctor === 'object' && has.call(ctor, 'prototype')) return true;
      }
      for (const value of Object.values(node)) if (value !== null && typeof value === 'object') next.push(value as object);
    }
    level = next;
  }
  return false;
}

function checkTarget(topic: unknown, event: unknown): { topic: string; event: string } {
  if (typeof topic !== 'string') throw refuse('invalid_request', `topic: expected a string, got ${typeof topic}`);
  if (topic.length < 1 || topic.length > MAX_TOPIC_LENGTH) throw refuse('invalid_request', `topic: must be 1 to ${MAX_TOPIC_LENGTH} characters`);
  if (topic === RESERVED_TOPIC) throw refuse('invalid_request', `topic: topic "${RESERVED_TOPIC}" is reserved`);
  if (hasControlCharacters(topic)) throw refuse('invalid_request', 'topic: topic must not contain control characters');
  if (typeof event !== 'string') throw refuse('invalid_request', `event: expected a string, got ${typeof event}`);
  if (event.length < 1 || event.length > MAX_EVENT_LENGTH) throw refuse('invalid_request', `event: must be 1 to ${MAX_EVENT_LENGTH} characters`);
  if (event.startsWith(RESERVED_EVENT_PREFIX)) throw refuse('invalid_request', `event: ${RESERVED_EVENT_PREFIX}* events are reserved for the protocol`);
  return { topic, event };
}

function tooLarge(bytes: number): CinderApiError {
  return refuse('payload_too_large', `request body is ${bytes} bytes; at most ${MAX_API_BODY_BYTES} are accepted`);
}

/**
 * The cluster broadcast an ephemeral `broadcast(topic, event, payload)`
 * would become on the HTTP path, or the CinderApiError that path would give.
 */
export function ephemeralBroadcast(topic: unknown, event: unknown, payload: unknown): ClusterBroadcast {
  const topicBytes = jsonBytes(encodeJson(topic, 'topic'));
  const eventBytes = jsonBytes(encodeJson(event, 'event'));

  if (payload instanceof Uint8Array) {
    const base64Length = 4 * Math.ceil(payload.byteLength / 3);
    const bytes = objectBytes([['topic', topicBytes], ['event', eventBytes], ['payload_base64', base64Length + 2]]);
    if (bytes > MAX_API_BODY_BYTES) throw tooLarge(bytes);
    const target = checkTarget(topic, event);
    if (base64Length > MAX_PAYLOAD_BASE64_LENGTH) throw refuse('invalid_request', `payload_base64: at most ${MAX_PAYLOAD_BASE64_LENGTH} characters`);
    return { ...target, payload: { kind: 'binary', bytes: payload } };
  }

  const json = encodeJson(payload, 'payload');
  const bytes = objectBytes([['topic', topicBytes], ['event', eventBytes], ['payload', jsonBytes(json)]]);
  if (bytes > MAX_API_BODY_BYTES) throw tooLarge(bytes);
  if (json !== undefined && poisoned(json)) throw refuse('invalid_request', 'payload: contains a forbidden prototype property');
  const target = checkTarget(topic, event);
  // A payload JSON.stringify leaves out (a function, undefined) leaves the body without one: the server then sends {}.
  if (json !== undefined && !json.startsWith('{')) throw refuse('invalid_request', 'payload: expected an object');
  return { ...target, payload: { kind: 'json', json: json ?? '{}' } };
}
