import { performance } from 'node:perf_hooks';
import type { PubSubAdapter } from '@cinder/runtime';
import { DiffBuilder } from './diff-builder';
import { PresenceIndex, type IndexedEntry } from './presence-index';
import { newRef, newVsn } from './ref';
import { Replicas } from './replicas';
import { checkKey, checkOwner, checkTopic, withRefs } from './meta';
import { TrackerError, type Meta, type PresenceDiff, type PresenceMap, type PresenceMeta } from './types';
import { decode, encode, type Element, type Op, type WireMessage } from './wire';

export interface TrackerLogger {
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface TrackerOptions {
  /** this node's name; must equal adapter.nodeId */
  nodeId: string;
  adapter: PubSubAdapter;
  /** called with every diff this node's subscribers must see (a LOCAL presence_diff broadcast) */
  emitDiff: (topic: string, diff: PresenceDiff) => void;
  /** pending changes go out this often; default 1000 */
  broadcastPeriodMs?: number;
  /** an idle tracker still heartbeats at least this often; default 3000 */
  idleHeartbeatMs?: number;
  /** a silent replica is reported gone after this; default 10000 */
  downPeriodMs?: number;
  /** a down replica is forgotten after this; default 1200000 */
  permdownPeriodMs?: number;
  /** control-bus channel of the replica group; default "presence" */
  channel?: string;
  /** most ops or elements per bus message, keeping each Redis message small; default 500 */
  maxItemsPerMessage?: number;
  logger?: TrackerLogger;
}

interface LocalEntry extends IndexedEntry {
  readonly owner: object;
}

const silent: TrackerLogger = { warn() {}, error() {} };

/**
 * Phoenix.Tracker for Cinder: presences of channel instances ("owners"),
 * replicated to every node over the adapter's control bus.
 *
 * Each node is the only writer of the elements its own channels track, so
 * replication is a per-owner operation log: local changes are numbered,
 * emitted as a local diff at once and shipped in the next heartbeat; the
 * other nodes replay the log (or fetch a full transfer when they miss part
 * of it) and derive their own diffs. Diffs never cross the wire.
 */
export class Tracker {
  readonly nodeId: string;
  /** this run's replica version */
  readonly vsn = newVsn();

  private readonly adapter: PubSubAdapter;
  private readonly emitDiff: (topic: string, diff: PresenceDiff) => void;
  private readonly broadcastPeriodMs: number;
  private readonly idleHeartbeatMs: number;
  private readonly downPeriodMs: number;
  private readonly permdownPeriodMs: number;
  private readonly channel: string;
  private readonly maxItems: number;
  private readonly log: TrackerLogger;

  private readonly index = new PresenceIndex();
  private readonly local = new Map<string, LocalEntry>();
  /**
   * owner -> its tracked entries. A channel almost always tracks one
   * presence, so a short array costs far less per socket than a map keyed
   * by topic and key.
   */
  private readonly owners = new Map<object, LocalEntry[]>();
  private readonly replicas: Replicas;

  private clock = 0;
  private pending: Op[] = [];
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private transferSeq = 0;

  constructor(opts: TrackerOptions) {
    if (typeof opts.nodeId !== 'string' || opts.nodeId.length === 0) {
      throw new TrackerError('invalid_argument', 'Tracker: nodeId must be a non-empty string');
    }
    if (!opts.adapter || opts.adapter.nodeId !== opts.nodeId) {
      throw new TrackerError('invalid_argument', `Tracker: nodeId ${opts.nodeId} differs from adapter.nodeId ${opts.adapter?.nodeId}`);
    }
    if (typeof opts.emitDiff !== 'function') throw new TrackerError('invalid_argument', 'Tracker: emitDiff must be a function');
    this.broadcastPeriodMs = opts.broadcastPeriodMs ?? 1000;
    this.idleHeartbeatMs = opts.idleHeartbeatMs ?? 3000;
    this.downPeriodMs = opts.downPeriodMs ?? 10_000;
    this.permdownPeriodMs = opts.permdownPeriodMs ?? 1_200_000;
    this.maxItems = opts.maxItemsPerMessage ?? 500;
    this.channel = opts.channel ?? 'presence';
    for (const [name, v] of Object.entries({
      broadcastPeriodMs: this.broadcastPeriodMs,
      idleHeartbeatMs: this.idleHeartbeatMs,
      downPeriodMs: this.downPeriodMs,
      permdownPeriodMs: this.permdownPeriodMs,
      maxItemsPerMessage: this.maxItems,
    })) {
      if (!Number.isFinite(v) || v <= 0) throw new TrackerError('invalid_argument', `Tracker: ${name} must be a positive number`);
    }
    if (this.idleHeartbeatMs < this.broadcastPeriodMs) {
      throw new TrackerError('invalid_argument', 'Tracker: idleHeartbeatMs must be >= broadcastPeriodMs');
    }
    // Two missed idle heartbeats must not be enough to declare a live node dead.
    if (this.downPeriodMs < 2 * this.idleHeartbeatMs) {
      throw new TrackerError('invalid_argument', 'Tracker: downPeriodMs must be >= 2 * idleHeartbeatMs');
    }
    if (this.permdownPeriodMs <= this.downPeriodMs) {
      throw new TrackerError('invalid_argument', 'Tracker: permdownPeriodMs must be > downPeriodMs');
    }
    this.nodeId = opts.nodeId;
    this.adapter = opts.adapter;
    this.emitDiff = opts.emitDiff;
    this.log = opts.logger ?? silent;
    this.replicas = new Replicas({
      index: this.index,
      emit: (diff) => this.emit(diff),
      requestTransfer: (name, id) => this.send({ y: 'tq', r: id }, name),
      greet: (name) => this.send({ y: 'hb', v: this.vsn, c: this.clock }, name),
      newId: () => `${this.vsn}.${++this.transferSeq}`,
      transferTimeoutMs: Math.max(this.idleHeartbeatMs, 2 * this.broadcastPeriodMs),
    });
  }

  /** Joins the replica group. The adapter's link is the caller's business (it is shared). */
  start(): void {
    if (this.state !== 'new') throw new TrackerError('invalid_argument', 'Tracker: start() called twice');
    this.state = 'running';
    this.adapter.onControl(this.channel, (data, from) => this.onControl(data, from));
    this.heartbeat(performance.now(), true);
    this.timer = setInterval(() => this.tick(), this.broadcastPeriodMs);
    this.timer.unref();
  }

  /**
   * Tracks `owner` (a channel instance) under `key` on `topic`; returns the
   * new meta's phx_ref. The same owner, topic and key can be tracked once.
   */
  track(owner: object, topic: string, key: string, meta: Meta): string {
    this.checkRunning();
    checkOwner(owner);
    checkTopic(topic);
    checkKey(key);
    if (this.owned(owner, topic, key)) {
      throw new TrackerError('already_tracked', `already tracked: key ${JSON.stringify(key)} on ${topic} for this owner`);
    }
    const entry = this.addLocal(owner, topic, key, withRefs(meta, newRef()));
    const diff = new DiffBuilder();
    diff.join(topic, key, entry.meta);
    this.emit(diff);
    return entry.meta.phx_ref;
  }

  /**
   * Replaces the meta of a tracked presence: one diff with the new meta (new
   * phx_ref, phx_ref_prev = old) in joins and the old meta in leaves.
   * Returns the new phx_ref.
   */
  update(owner: object, topic: string, key: string, meta: Meta | ((old: PresenceMeta) => Meta)): string {
    this.checkRunning();
    const old = this.owned(owner, topic, key);
    if (!old) throw new TrackerError('not_tracked', `not tracked: key ${JSON.stringify(key)} on ${topic} for this owner`);
    const next = withRefs(typeof meta === 'function' ? meta(old.meta) : meta, newRef(), old.meta.phx_ref);
    this.removeLocal(old);
    const entry = this.addLocal(owner, topic, key, next);
    const diff = new DiffBuilder();
    diff.join(topic, key, entry.meta);
    diff.leave(topic, key, old.meta);
    this.emit(diff);
    return entry.meta.phx_ref;
  }

  /** Stops tracking one presence (a leave with its last meta). Returns false if it was not tracked. */
  untrack(owner: object, topic: string, key: string): boolean {
    const entry = this.owned(owner, topic, key);
    if (!entry) return false;
    this.removeLocal(entry);
    const diff = new DiffBuilder();
    diff.leave(topic, key, entry.meta);
    this.emit(diff);
    return true;
  }

  /** Stops tracking everything of `owner` (its channel left, crashed or closed): one diff per topic. */
  untrackOwner(owner: object): void {
    const entries = this.owners.get(owner);
    if (!entries) return;
    const diff = new DiffBuilder();
    for (const entry of [...entries]) {
      this.removeLocal(entry);
      diff.leave(entry.topic, entry.key, entry.meta);
    }
    this.emit(diff);
  }

  /** Presences on `topic` across the cluster, leaving out replicas that are down. */
  list(topic: string): PresenceMap {
    return this.index.list(topic);
  }

  /**
   * Leaves the replica group. Graceful: peers are told to drop this node's
   * presences now (permdown); otherwise they notice after down_period, as
   * after a crash. Local state is kept but no longer replicated.
   */
  shutdown(graceful: boolean): void {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (graceful) this.send({ y: 'pd', v: this.vsn });
    this.replicas.clear();
  }

  private checkRunning(): void {
    if (this.state === 'stopped') throw new TrackerError('stopped', 'Tracker: already shut down');
  }

  private owned(owner: object, topic: string, key: string): LocalEntry | undefined {
    const entries = this.owners.get(owner);
    if (entries) for (const e of entries) if (e.topic === topic && e.key === key) return e;
    return undefined;
  }

  private addLocal(owner: object, topic: string, key: string, meta: PresenceMeta): LocalEntry {
    const entry: LocalEntry = { topic, key, meta, replica: null, owner };
    this.local.set(meta.phx_ref, entry);
    const entries = this.owners.get(owner);
    if (entries) entries.push(entry);
    else this.owners.set(owner, [entry]);
    this.index.add(entry);
    this.record([topic, key, meta]);
    return entry;
  }

  private removeLocal(entry: LocalEntry): void {
    this.local.delete(entry.meta.phx_ref);
    const entries = this.owners.get(entry.owner);
    if (entries) {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
      if (entries.length === 0) this.owners.delete(entry.owner);
    }
    this.index.remove(entry);
    this.record(entry.meta.phx_ref);
  }

  private record(op: Op): void {
    this.clock++;
    if (this.state === 'running') this.pending.push(op);
  }

  private emit(diff: DiffBuilder): void {
    diff.emit((topic, d) => {
      try {
        this.emitDiff(topic, d);
      } catch (err) {
        this.log.error('presence emitDiff threw', { topic, error: (err as Error).message });
      }
    });
  }

  private tick(): void {
    const now = performance.now();
    this.heartbeat(now, false);
    this.replicas.check(now, this.downPeriodMs, this.permdownPeriodMs);
  }

  private heartbeat(now: number, force: boolean): void {
    if (this.pending.length > 0) {
      const ops = this.pending;
      this.pending = [];
      // Chunks are consecutive slices of the log, each a valid delta on its own.
      let from = this.clock - ops.length + 1;
      for (let i = 0; i < ops.length; i += this.maxItems) {
        const o = ops.slice(i, i + this.maxItems);
        this.send({ y: 'hb', v: this.vsn, f: from, c: from + o.length - 1, o });
        from += o.length;
      }
      this.lastSentAt = now;
      return;
    }
    // Half a period of slack so timer jitter cannot push the idle beat a whole period late.
    if (force || now - this.lastSentAt + this.broadcastPeriodMs / 2 >= this.idleHeartbeatMs) {
      this.send({ y: 'hb', v: this.vsn, c: this.clock });
      this.lastSentAt = now;
    }
  }

  private onControl(data: Buffer, from: string): void {
    if (this.state !== 'running' || from === this.nodeId) return;
    let msg: WireMessage;
    try {
      msg = decode(data);
    } catch (err) {
      this.log.warn('ignoring malformed tracker message', { from, error: (err as Error).message });
      return;
    }
    switch (msg.y) {
      case 'hb':
        this.replicas.heartbeat(from, msg, performance.now());
        break;
      case 'tq':
        this.sendTransfer(from, msg.r);
        break;
      case 'ta':
        this.replicas.transferAck(from, msg);
        break;
      case 'pd':
        this.replicas.permdown(from, msg.v);
        break;
    }
  }

  /** The full state of this node's own elements, as of now, including changes not yet heartbeated. */
  private sendTransfer(to: string, ref: string): void {
    const elements: Element[] = [];
    for (const e of this.local.values()) elements.push([e.topic, e.key, e.meta]);
    const n = Math.max(1, Math.ceil(elements.length / this.maxItems));
    for (let i = 0; i < n; i++) {
      const e = elements.slice(i * this.maxItems, (i + 1) * this.maxItems);
      this.send({ y: 'ta', v: this.vsn, r: ref, c: this.clock, i, n, e }, to);
    }
  }

  private send(msg: WireMessage, target?: string): void {
    try {
      this.adapter.publishControl(this.channel, encode(msg), target);
    } catch (err) {
      this.log.error('tracker could not publish', { type: msg.y, error: (err as Error).message });
    }
  }
}
