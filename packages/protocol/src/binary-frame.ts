import type { Ref } from './message';
import { ProtocolError } from './protocol-error';

/**
 * The V2 binary frame layout. Header fields are length-prefixed with one byte
 * (UTF-8 byte length, at most 255); the payload is the rest of the frame.
 * Pushes from the client carry a ref (5-byte header), pushes from the server
 * do not (4-byte header).
 */
export const KIND_PUSH = 0;
export const KIND_REPLY = 1;
export const KIND_BROADCAST = 2;

function field(value: Ref): Buffer {
  const buf = Buffer.from(value === null ? '' : String(value), 'utf8');
  if (buf.length > 255) throw new RangeError('binary frame header field exceeds 255 bytes');
  return buf;
}

function build(kind: number, fields: Buffer[], payload: Uint8Array): Buffer {
  const headerLen = 1 + fields.length;
  let total = headerLen + payload.byteLength;
  for (const f of fields) total += f.length;
  const out = Buffer.allocUnsafe(total);
  out[0] = kind;
  let pos = headerLen;
  fields.forEach((f, i) => {
    out[1 + i] = f.length;
    f.copy(out, pos);
    pos += f.length;
  });
  out.set(payload, pos);
  return out;
}

export function encodeBinaryPush(joinRef: Ref, topic: string, event: string, payload: Uint8Array): Buffer {
  return build(KIND_PUSH, [field(joinRef), field(topic), field(event)], payload);
}

export function encodeBinaryReply(joinRef: Ref, ref: Ref, topic: string, status: string, payload: Uint8Array): Buffer {
  return build(KIND_REPLY, [field(joinRef), field(ref), field(topic), field(status)], payload);
}

export function encodeBinaryBroadcast(topic: string, event: string, payload: Uint8Array): Buffer {
  return build(KIND_BROADCAST, [field(topic), field(event)], payload);
}

/** Also used by clients in tests, so it decodes every kind the server sends. */
export interface DecodedBinary {
  kind: number;
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Buffer;
}

function need(data: Buffer, n: number): void {
  if (data.length < n) throw new ProtocolError('invalid_binary', 'binary frame is truncated');
}

/**
 * Decodes a client push (kind 0, 5-byte header). An empty join_ref stays ""
 * rather than null: Phoenix treats it as a stale join_ref and drops the push.
 */
export function decodeBinaryPush(data: Buffer): {
  joinRef: string;
  ref: string;
  topic: string;
  event: string;
  payload: Buffer;
} {
  need(data, 5);
  if (data[0] !== KIND_PUSH) throw new ProtocolError('invalid_binary', `unexpected binary frame kind ${data[0]}`);
  const lens = [data[1], data[2], data[3], data[4]];
  let pos = 5;
  const parts: string[] = [];
  for (const len of lens) {
    need(data, pos + len);
    parts.push(data.toString('utf8', pos, pos + len));
    pos += len;
  }
  const [joinRef, ref, topic, event] = parts;
  if (topic === '' || event === '') throw new ProtocolError('invalid_binary', 'binary frame without topic or event');
  return { joinRef, ref, topic, event, payload: data.subarray(pos) };
}

/** Decodes any server → client binary frame (used by tests and the bench client). */
export function decodeServerBinary(data: Buffer): DecodedBinary {
  need(data, 1);
  const kind = data[0];
  const headerLens = kind === KIND_PUSH ? 3 : kind === KIND_REPLY ? 4 : kind === KIND_BROADCAST ? 2 : -1;
  if (headerLens < 0) throw new ProtocolError('invalid_binary', `unknown binary frame kind ${kind}`);
  need(data, 1 + headerLens);
  let pos = 1 + headerLens;
  const parts: string[] = [];
  for (let i = 0; i < headerLens; i++) {
    const len = data[1 + i];
    need(data, pos + len);
    parts.push(data.toString('utf8', pos, pos + len));
    pos += len;
  }
  const payload = data.subarray(pos);
  if (kind === KIND_PUSH) return { kind, joinRef: parts[0], ref: null, topic: parts[1], event: parts[2], payload };
  if (kind === KIND_REPLY) return { kind, joinRef: parts[0], ref: parts[1], topic: parts[2], event: parts[3], payload };
  return { kind, joinRef: null, ref: null, topic: parts[0], event: parts[1], payload };
}
