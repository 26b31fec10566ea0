import type { PresenceDiff, PresenceMap, PresenceMeta } from './types';

interface Change {
  key: string;
  meta: PresenceMeta;
}

interface TopicChanges {
  joins: Map<string, Change>;
  leaves: Map<string, Change>;
}

/**
 * Collects the joins and leaves of one state change (a local operation, a
 * merged delta, a transfer, a replica going down or up) and hands them out
 * as one diff per topic. A meta that joins and leaves within the same change
 * cancels out, since clients never saw it.
 */
export class DiffBuilder {
  private readonly topics = new Map<string, TopicChanges>();

  join(topic: string, key: string, meta: PresenceMeta): void {
    const t = this.topic(topic);
    if (t.leaves.delete(meta.phx_ref)) return;
    t.joins.set(meta.phx_ref, { key, meta });
  }

  leave(topic: string, key: string, meta: PresenceMeta): void {
    const t = this.topic(topic);
    if (t.joins.delete(meta.phx_ref)) return;
    t.leaves.set(meta.phx_ref, { key, meta });
  }

  emit(emitDiff: (topic: string, diff: PresenceDiff) => void): void {
    for (const [topic, t] of this.topics) {
      if (t.joins.size === 0 && t.leaves.size === 0) continue;
      emitDiff(topic, { joins: group(t.joins), leaves: group(t.leaves) });
    }
    this.topics.clear();
  }

  private topic(topic: string): TopicChanges {
    let t = this.topics.get(topic);
    if (!t) {
      t = { joins: new Map(), leaves: new Map() };
      this.topics.set(topic, t);
    }
    return t;
  }
}

/** A presence map without a prototype, so keys such as "__proto__" are plain keys. */
export function emptyPresenceMap(): PresenceMap {
  return Object.create(null) as PresenceMap;
}

export function addMeta(map: PresenceMap, key: string, meta: PresenceMeta): void {
  const entry = map[key];
  if (entry) entry.metas.push(meta);
  else map[key] = { metas: [meta] };
}

function group(changes: Map<string, Change>): PresenceMap {
  const map = emptyPresenceMap();
  for (const { key, meta } of changes.values()) addMeta(map, key, meta);
  return map;
}
