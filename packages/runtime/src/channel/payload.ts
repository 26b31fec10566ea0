import { binaryPayload, jsonPayload, type EncodedPayload } from '@cinder/protocol';
import type { Broadcast } from '../pubsub/broadcast';

/** A Uint8Array (Buffer included) is binary; everything else is JSON. */
export function encodePayload(value: unknown): EncodedPayload {
  return value instanceof Uint8Array ? binaryPayload(value) : jsonPayload(value);
}

export function makeBroadcast(topic: string, event: string, payload: unknown): Broadcast {
  return { topic, event, payload: encodePayload(payload) };
}

/** Intercepted broadcasts are handed to handle_out decoded. */
export function decodeBroadcastPayload(msg: Broadcast): unknown {
  return msg.payload.kind === 'binary' ? msg.payload.bytes : JSON.parse(msg.payload.json);
}
