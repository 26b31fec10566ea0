/** What the application tracks for one presence, e.g. `{ role: "student" }`. */
export type Meta = Record<string, unknown>;

/** A meta as it appears on the wire: the application's map plus the refs the tracker adds. */
export type PresenceMeta = Meta & { readonly phx_ref: string; readonly phx_ref_prev?: string };

/** `{ "<key>": { "metas": [meta, …] } }`, exactly Phoenix's presence map. */
export type PresenceMap = Record<string, { metas: PresenceMeta[] }>;

/** The payload of a `presence_diff` broadcast; both sides are always present. */
export interface PresenceDiff {
  joins: PresenceMap;
  leaves: PresenceMap;
}

export type TrackerErrorCode = 'already_tracked' | 'not_tracked' | 'invalid_argument' | 'stopped';

export class TrackerError extends Error {
  readonly code: TrackerErrorCode;

  constructor(code: TrackerErrorCode, message: string) {
    super(message);
    this.name = 'TrackerError';
    this.code = code;
  }
}
