import { DiffBuilder } from './diff-builder';
import type { IndexedEntry, PresenceIndex } from './presence-index';
import type { Element, Op, WireMessage } from './wire';

interface PendingTransfer {
  readonly id: string;
  readonly sentAt: number;
  clock: number;
  parts: Array<Element[] | undefined>;
  received: number;
}

/** What this node knows of another node's tracker. */
export interface RemoteReplica {
  readonly name: string;
  readonly vsn: string;
  /** heard from within down_period; a down replica's elements are hidden and were reported as leaves */
  up: boolean;
  lastSeen: number;
  /** highest clock of the owner's log applied here, contiguous from the transfer it started from */
  applied: number;
  /** a transfer has given us the owner's full state; until then deltas are useless */
  synced: boolean;
  readonly elements: Map<string, IndexedEntry>;
  transfer: PendingTransfer | null;
}

export interface ReplicaHooks {
  readonly index: PresenceIndex;
  emit(diff: DiffBuilder): void;
  /** ask `name` for a full transfer, tagged with `id` */
  requestTransfer(name: string, id: string): void;
  /** a replica appeared: greet it so it learns of us without waiting for our next idle heartbeat */
  greet(name: string): void;
  newId(): string;
  /** how long an unanswered transfer request blocks the next one */
  readonly transferTimeoutMs: number;
}

type Heartbeat = Extract<WireMessage, { y: 'hb' }>;
type TransferAck = Extract<WireMessage, { y: 'ta' }>;

/**
 * The other nodes' trackers as seen from here. Only an element's owner ever
 * adds or removes it, so each replica is a log we replay in clock order;
 * a gap (lost message, outage, late join) is repaired by a full transfer of
 * the owner's live elements. Liveness follows Phoenix.Tracker: up on a
 * heartbeat, down (leaves) after down_period of silence, up again (joins) on
 * a heartbeat with the same vsn, forgotten after permdown_period, on a
 * graceful permdown, or when the same name shows up with a new vsn.
 */
export class Replicas {
  private readonly byName = new Map<string, RemoteReplica>();

  constructor(private readonly hooks: ReplicaHooks) {}

  get(name: string): RemoteReplica | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<RemoteReplica> {
    return this.byName.values();
  }

  heartbeat(name: string, msg: Heartbeat, now: number): void {
    const rep = this.observe(name, msg.v, now);
    if (!rep.synced) {
      this.askTransfer(rep, now);
      return;
    }
    if (msg.o !== undefined && msg.f !== undefined) {
      if (msg.f > rep.applied + 1) {
        this.askTransfer(rep, now);
        return;
      }
      if (msg.c > rep.applied) {
        this.applyOps(rep, msg.o.slice(rep.applied + 1 - msg.f));
        rep.applied = msg.c;
      }
    } else if (msg.c > rep.applied) {
      this.askTransfer(rep, now);
    }
  }

  transferAck(name: string, msg: TransferAck): void {
    const rep = this.byName.get(name);
    const t = rep?.transfer;
    // Answers to an old request, or from a previous life of the node, are
    // superseded: the heartbeats of the current one trigger their own transfer.
    if (!rep || !t || t.id !== msg.r || rep.vsn !== msg.v) return;
    if (t.received === 0) {
      t.clock = msg.c;
      t.parts = new Array(msg.n);
    } else if (t.parts.length !== msg.n || t.clock !== msg.c) {
      return;
    }
    if (t.parts[msg.i] !== undefined) return;
    t.parts[msg.i] = msg.e;
    t.received++;
    if (t.received < t.parts.length) return;
    rep.transfer = null;
    if (rep.synced && t.clock < rep.applied) return;
    this.replaceState(rep, t.parts.flat() as Element[], t.clock);
  }

  permdown(name: string, vsn: string): void {
    const rep = this.byName.get(name);
    if (rep && rep.vsn === vsn) this.forget(rep, true);
  }

  /** Failure detection, run on every tick. */
  check(now: number, downPeriodMs: number, permdownPeriodMs: number): void {
    for (const rep of [...this.byName.values()]) {
      const silent = now - rep.lastSeen;
      if (silent > permdownPeriodMs) {
        // Its leaves were reported when it went down.
        this.forget(rep, rep.up);
      } else if (rep.up && silent > downPeriodMs) {
        rep.up = false;
        const diff = new DiffBuilder();
        for (const e of rep.elements.values()) diff.leave(e.topic, e.key, e.meta);
        this.hooks.emit(diff);
      }
    }
  }

  /** Stops tracking every replica without reporting anything (this node is shutting down). */
  clear(): void {
    for (const rep of this.byName.values()) {
      for (const e of rep.elements.values()) this.hooks.index.remove(e);
    }
    this.byName.clear();
  }

  private observe(name: string, vsn: string, now: number): RemoteReplica {
    let rep = this.byName.get(name);
    if (rep && rep.vsn !== vsn) {
      // The node restarted: whatever its previous life tracked is gone.
      this.forget(rep, rep.up);
      rep = undefined;
    }
    if (!rep) {
      rep = { name, vsn, up: true, lastSeen: now, applied: 0, synced: false, elements: new Map(), transfer: null };
      this.byName.set(name, rep);
      this.hooks.greet(name);
      return rep;
    }
    rep.lastSeen = now;
    if (!rep.up) {
      rep.up = true;
      const diff = new DiffBuilder();
      for (const e of rep.elements.values()) diff.join(e.topic, e.key, e.meta);
      this.hooks.emit(diff);
    }
    return rep;
  }

  private askTransfer(rep: RemoteReplica, now: number): void {
    if (rep.transfer && now - rep.transfer.sentAt < this.hooks.transferTimeoutMs) return;
    const id = this.hooks.newId();
    rep.transfer = { id, sentAt: now, clock: 0, parts: [], received: 0 };
    this.hooks.requestTransfer(rep.name, id);
  }

  private applyOps(rep: RemoteReplica, ops: Op[]): void {
    const diff = new DiffBuilder();
    for (const op of ops) {
      if (typeof op === 'string') {
        const e = rep.elements.get(op);
        if (!e) continue;
        this.removeElement(rep, e);
        if (rep.up) diff.leave(e.topic, e.key, e.meta);
      } else {
        const e = this.addElement(rep, op);
        if (e && rep.up) diff.join(e.topic, e.key, e.meta);
      }
    }
    this.hooks.emit(diff);
  }

  private replaceState(rep: RemoteReplica, elements: Element[], clock: number): void {
    const diff = new DiffBuilder();
    const incoming = new Set(elements.map((el) => el[2].phx_ref));
    for (const e of [...rep.elements.values()]) {
      if (incoming.has(e.meta.phx_ref)) continue;
      this.removeElement(rep, e);
      if (rep.up) diff.leave(e.topic, e.key, e.meta);
    }
    for (const el of elements) {
      const e = this.addElement(rep, el);
      if (e && rep.up) diff.join(e.topic, e.key, e.meta);
    }
    rep.applied = clock;
    rep.synced = true;
    this.hooks.emit(diff);
  }

  /** Returns the new entry, or null if the element was already known. */
  private addElement(rep: RemoteReplica, [topic, key, meta]: Element): IndexedEntry | null {
    if (rep.elements.has(meta.phx_ref)) return null;
    const entry: IndexedEntry = { topic, key, meta: Object.freeze(meta), replica: rep };
    rep.elements.set(meta.phx_ref, entry);
    this.hooks.index.add(entry);
    return entry;
  }

  private removeElement(rep: RemoteReplica, e: IndexedEntry): void {
    rep.elements.delete(e.meta.phx_ref);
    this.hooks.index.remove(e);
  }

  private forget(rep: RemoteReplica, reportLeaves: boolean): void {
    const diff = new DiffBuilder();
    for (const e of rep.elements.values()) {
      this.hooks.index.remove(e);
      if (reportLeaves) diff.leave(e.topic, e.key, e.meta);
    }
    this.byName.delete(rep.name);
    this.hooks.emit(diff);
  }
}
