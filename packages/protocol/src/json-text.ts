import type { EncodedPayload } from './message';

/**
 * Sockets that cannot receive binary frames (V1, LongPoll) get binary
 * payloads as `{"base64": …}` JSON, as the contract fixes.
 */
export function payloadAsJson(payload: EncodedPayload): string {
  if (payload.kind === 'json') return payload.json;
  return `{"base64":"${Buffer.from(payload.bytes.buffer, payload.bytes.byteOffset, payload.bytes.byteLength).toString('base64')}"}`;
}

export function refJson(ref: unknown): string {
  return ref === null || ref === undefined ? 'null' : JSON.stringify(ref);
}
