/**
 * A broadcast as it travels between nodes and through a node's local
 * dispatcher. The JSON payload is carried as already-encoded text so that it
 * is serialized once at the origin and spliced into frames everywhere else.
 */
export type BroadcastPayload =
  | { readonly kind: 'json'; readonly json: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array };

export interface Broadcast {
  readonly topic: string;
  readonly event: string;
  readonly payload: BroadcastPayload;
}

export function jsonBroadcast(topic: string, event: string, payload: unknown): Broadcast {
  return { topic, event, payload: { kind: 'json', json: JSON.stringify(payload) } };
}

export function binaryBroadcast(topic: string, event: string, bytes: Uint8Array): Broadcast {
  return { topic, event, payload: { kind: 'binary', bytes } };
}
