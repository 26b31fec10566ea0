import type { Broadcast, LinkStatus, PubSubAdapter } from '@cinder/runtime';

/**
 * The single-node adapter: there are no other nodes, so publishing and
 * control traffic go nowhere and the link is always healthy.
 */
export class MemoryAdapter implements PubSubAdapter {
  readonly nodeId: string;

  constructor(nodeId: string) {
    this.nodeId = nodeId;
  }

  async start(_deliver: (msg: Broadcast) => void): Promise<void> {}
  subscribe(_topic: string): void {}
  unsubscribe(_topic: string): void {}
  publish(_msg: Broadcast): void {}
  publishControl(_channel: string, _data: Buffer, _target?: string): void {}
  onControl(_channel: string, _handler: (data: Buffer, fromNode: string) => void): void {}
  status(): LinkStatus {
    return { ok: true, component: 'pubsub' };
  }
  onStatusChange(_listener: (status: LinkStatus) => void): void {}
  async close(): Promise<void> {}
}
