import { RedisAdapter } from '@cinder/pubsub';
import { Tracker, type PresenceDiff, type TrackerOptions } from '@cinder/presence';
import { ClientView, normalize } from './phoenix-client';

export const FAST = { broadcastPeriodMs: 100, idleHeartbeatMs: 300, downPeriodMs: 2000, permdownPeriodMs: 60_000 };

export interface TestNode {
  readonly id: string;
  readonly adapter: RedisAdapter;
  readonly tracker: Tracker;
  readonly diffs: Array<{ topic: string; diff: PresenceDiff }>;
  /** one phoenix.js client per topic, fed every diff this node emits */
  readonly views: Map<string, ClientView>;
  /** stops heartbeating and drops the link without a word, like kill -9 */
  kill(): Promise<void>;
  /** graceful: tells the peers to forget this node */
  stop(): Promise<void>;
}

export type NodeOptions = Partial<Omit<TrackerOptions, 'nodeId' | 'adapter' | 'emitDiff'>>;

export class Cluster {
  readonly nodes: TestNode[] = [];

  constructor(
    private readonly url: string,
    private readonly prefix: string,
  ) {}

  async node(id: string, opts: NodeOptions = {}): Promise<TestNode> {
    const adapter = new RedisAdapter({ url: this.url, nodeId: id, prefix: this.prefix });
    const diffs: TestNode['diffs'] = [];
    const views = new Map<string, ClientView>();
    const tracker = new Tracker({
      ...FAST,
      ...opts,
      nodeId: id,
      adapter,
      emitDiff: (topic, diff) => {
        diffs.push({ topic, diff: JSON.parse(JSON.stringify(diff)) });
        let v = views.get(topic);
        if (!v) views.set(topic, (v = new ClientView()));
        v.apply(JSON.parse(JSON.stringify(diff)));
      },
    });
    await adapter.start(() => {});
    tracker.start();
    await adapter.settled();
    let down = false;
    const node: TestNode = {
      id,
      adapter,
      tracker,
      diffs,
      views,
      kill: async () => {
        if (down) return;
        down = true;
        tracker.shutdown(false);
        await adapter.close();
      },
      stop: async () => {
        if (down) return;
        down = true;
        tracker.shutdown(true);
        await adapter.close();
      },
    };
    this.nodes.push(node);
    return node;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
  }
}

/** list(topic) reduced to key -> sorted phx_refs */
export function refs(node: TestNode, topic: string): Record<string, string[]> {
  return normalize(node.tracker.list(topic));
}

/** what a phoenix.js client fed only this node's diffs believes */
export function clientRefs(node: TestNode, topic: string): Record<string, string[]> {
  return node.views.get(topic)?.normalized() ?? {};
}

/** diffs that joined (or left) the meta with this phx_ref */
export function diffsWith(node: TestNode, side: 'joins' | 'leaves', ref: string): PresenceDiff[] {
  return node.diffs
    .map((d) => d.diff)
    .filter((d) => Object.values(d[side]).some((p) => p.metas.some((m) => m.phx_ref === ref)));
}
