import { addMeta, emptyPresenceMap } from './diff-builder';
import type { PresenceMap, PresenceMeta } from './types';

/** A replica's liveness as the index needs it: elements of a down replica are hidden. */
export interface Visibility {
  readonly up: boolean;
}

export interface IndexedEntry {
  readonly topic: string;
  readonly key: string;
  readonly meta: PresenceMeta;
  /** null: owned by this node */
  readonly replica: Visibility | null;
}

/**
 * Every element this node knows, local and remote, by topic, so that list()
 * (run on every join for presence_state) costs the size of the topic, not of
 * the whole cluster.
 */
export class PresenceIndex {
  private readonly topics = new Map<string, Map<string, IndexedEntry>>();

  add(entry: IndexedEntry): void {
    let refs = this.topics.get(entry.topic);
    if (!refs) {
      refs = new Map();
      this.topics.set(entry.topic, refs);
    }
    refs.set(entry.meta.phx_ref, entry);
  }

  remove(entry: IndexedEntry): void {
    const refs = this.topics.get(entry.topic);
    if (!refs || !refs.delete(entry.meta.phx_ref)) return;
    if (refs.size === 0) this.topics.delete(entry.topic);
  }

  list(topic: string): PresenceMap {
    const map = emptyPresenceMap();
    const refs = this.topics.get(topic);
    if (!refs) return map;
    for (const e of refs.values()) {
      if (e.replica === null || e.replica.up) addMeta(map, e.key, e.meta);
    }
    return map;
  }
}
