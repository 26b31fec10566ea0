/**
 * A ref or join_ref as the client sent it. phoenix.js sends decimal strings,
 * but Phoenix echoes whatever JSON value arrived (a numeric ref comes back as
 * a number), so refs stay opaque values compared with `===`.
 */
export type Ref = string | number | null;

/** One decoded client → server message. */
export interface InboundMessage {
  readonly joinRef: Ref;
  readonly ref: Ref;
  readonly topic: string;
  readonly event: string;
  /** any JSON value for text frames; the raw bytes for V2 binary pushes */
  readonly payload: unknown;
  readonly binary: boolean;
}

/**
 * A payload ready to be spliced into a frame: JSON text encoded once, or raw
 * bytes. Keeping the JSON pre-encoded lets one broadcast be serialized once
 * per serializer and reused for every subscriber.
 */
export type EncodedPayload =
  | { readonly kind: 'json'; readonly json: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array };

export function jsonPayload(value: unknown): EncodedPayload {
  const json = JSON.stringify(value);
  // JSON.stringify(undefined) yields undefined; Phoenix would send null.
  return { kind: 'json', json: json === undefined ? 'null' : json };
}

export function binaryPayload(bytes: Uint8Array): EncodedPayload {
  return { kind: 'binary', bytes };
}

/** An encoded frame; text frames are UTF-8 bytes so they are encoded once. */
export interface Frame {
  readonly data: Buffer;
  readonly binary: boolean;
}
