import type { PresenceDiff, PresenceMap } from '@cinder/presence';

/* The stock phoenix.js client's presence algorithm, used to check that the
 * diffs a node emits, replayed by a real client, give the node's list(). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Presence } = require('phoenix18') as {
  Presence: {
    syncDiff(state: object, diff: PresenceDiff): object;
  };
};

export class ClientView {
  state: object = {};

  apply(diff: PresenceDiff): void {
    this.state = Presence.syncDiff(this.state, diff);
  }

  /** the client's state in list()'s shape, metas sorted by phx_ref for comparison */
  normalized(): Record<string, string[]> {
    return normalize(this.state as PresenceMap);
  }
}

export function normalize(map: PresenceMap): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key].metas.map((m) => m.phx_ref).sort();
  return out;
}
