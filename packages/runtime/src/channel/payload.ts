import { binaryPayload, jsonPayload, type EncodedPayload } from '@cinder/protocol';
import type { Broadcast } from '../pubsub/broadcast';

/** A Uint8Array (Buffer included) is binary; everything else is JSON. */
export function encodePayload(value: unknown): EncodedPayload {
  return value instanceof Uint8Array ? binaryPayload(value) : jsonPayload(value);
}

export function makeBroadcast(topic: string, event: string, payload: unknown): Broadcast {
  return { topic, event, payload: encodePayload(payload) };
}

/**
 * Intercepted and guarded broadcasts reach the channel's hooks decoded. The
 * same Broadcast object goes to every subscriber of a node, so it is parsed
 * once for all of them, not once per subscriber; hooks get a shared value
 * and must not change it.
 */
const decoded = new WeakMap<Broadcast, unknown>();

export function decodeBroadcastPayload(msg: Broadcast): unknown {
  if (msg.payload.kind === 'binary') return msg.payload.bytes;
  let value = decoded.get(msg);
  if (value === undefined) {
    value = JSON.parse(msg.payload.json);
    decoded.set(msg, value);
  }
  return value;
}
