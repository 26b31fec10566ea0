/*
 * The cluster's Redis wire format (CONTRACT §7, §8), shared by the nodes'
 * Redis adapter and the SDK's `redisUrl` mode so both write one format.
 *
 * Binary so that a JSON payload crosses the cluster as the exact text the
 * origin serialized (never re-parsed) and a binary payload as its bytes,
 * with only a few bytes of framing:
 *
 *   broadcast: [1][kind 0=json|1=binary][originLen u8][origin][eventLen u16be][event][payload…]
 *   control:   [1][2][originLen u8][origin][data…]
 *
 * The topic is not inside: it is the Redis channel the message travels on
 * (see cluster-channels.ts).
 */

/** A payload as the cluster carries it: JSON already encoded, or raw bytes. */
export type ClusterPayload =
  | { readonly kind: 'json'; readonly json: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array };

export interface ClusterBroadcast {
  readonly topic: string;
  readonly event: string;
  readonly payload: ClusterPayload;
}

const VERSION = 1;
const KIND_JSON = 0;
const KIND_BINARY = 1;
const KIND_CONTROL = 2;

/** The origin's length travels in one byte. */
export const MAX_ORIGIN_BYTES = 255;
/** The event's length travels in two bytes. */
export const MAX_EVENT_BYTES = 0xffff;

export class EnvelopeError extends Error {}

function checkOrigin(origin: string): number {
  const len = Buffer.byteLength(origin);
  if (len > MAX_ORIGIN_BYTES) throw new EnvelopeError(`origin is ${len} bytes; at most ${MAX_ORIGIN_BYTES} can be carried`);
  return len;
}

export function encodeBroadcast(origin: string, msg: ClusterBroadcast): Buffer {
  const originLen = checkOrigin(origin);
  const eventLen = Buffer.byteLength(msg.event);
  if (eventLen > MAX_EVENT_BYTES) {
    throw new EnvelopeError(`event name is ${eventLen} bytes; at most ${MAX_EVENT_BYTES} can be carried`);
  }
  const payload = msg.payload;
  const payloadLen = payload.kind === 'json' ? Buffer.byteLength(payload.json) : payload.bytes.byteLength;
  const head = 3 + originLen + 2 + eventLen;
  const buf = Buffer.allocUnsafe(head + payloadLen);
  buf[0] = VERSION;
  buf[1] = payload.kind === 'json' ? KIND_JSON : KIND_BINARY;
  buf[2] = originLen;
  buf.write(origin, 3);
  buf.writeUInt16BE(eventLen, 3 + originLen);
  buf.write(msg.event, 5 + originLen);
  if (payload.kind === 'json') buf.write(payload.json, head);
  else buf.set(payload.bytes, head);
  return buf;
}

export function encodeControl(origin: string, data: Buffer): Buffer {
  const originLen = checkOrigin(origin);
  const buf = Buffer.allocUnsafe(3 + originLen + data.length);
  buf[0] = VERSION;
  buf[1] = KIND_CONTROL;
  buf[2] = originLen;
  buf.write(origin, 3);
  data.copy(buf, 3 + originLen);
  return buf;
}

/** The origin alone, so a node can drop its own messages before decoding the rest. */
export function readOrigin(buf: Buffer): string {
  if (buf.length < 3 || buf[0] !== VERSION || 3 + buf[2] > buf.length) {
    throw new EnvelopeError('not a cinder envelope (bad version or truncated header)');
  }
  return buf.toString('utf8', 3, 3 + buf[2]);
}

export function decodeBroadcast(topic: string, buf: Buffer): ClusterBroadcast {
  const kind = buf[1];
  if (kind !== KIND_JSON && kind !== KIND_BINARY) throw new EnvelopeError(`not a broadcast envelope (kind ${kind})`);
  const eventAt = 3 + buf[2];
  if (eventAt + 2 > buf.length) throw new EnvelopeError('truncated broadcast envelope');
  const eventLen = buf.readUInt16BE(eventAt);
  const payloadAt = eventAt + 2 + eventLen;
  if (payloadAt > buf.length) throw new EnvelopeError('truncated broadcast envelope');
  const event = buf.toString('utf8', eventAt + 2, payloadAt);
  const payload: ClusterPayload =
    kind === KIND_JSON ? { kind: 'json', json: buf.toString('utf8', payloadAt) } : { kind: 'binary', bytes: buf.subarray(payloadAt) };
  return { topic, event, payload };
}

export function decodeControl(buf: Buffer): Buffer {
  if (buf[1] !== KIND_CONTROL) throw new EnvelopeError(`not a control envelope (kind ${buf[1]})`);
  return buf.subarray(3 + buf[2]);
}
