/*
 * Where cluster traffic travels on Redis and who may speak there. Shared by
 * the nodes and the SDK's `redisUrl` mode: a publisher that named a channel
 * differently would reach nobody, without any error.
 *
 * Redis channels (P = prefix):
 *   P:b:<topic>              broadcasts of one topic
 *   P:ctl:<channel>          control messages to every node
 *   P:ctl:<channel>:<node>   control messages to one node
 */

/** The prefix every node uses unless configured otherwise. */
export const DEFAULT_CLUSTER_PREFIX = 'cinder';

export function broadcastChannel(prefix: string, topic: string): string {
  return `${prefix}:b:${topic}`;
}

export function controlChannel(prefix: string, channel: string, targetNode?: string): string {
  return targetNode === undefined ? `${prefix}:ctl:${channel}` : `${prefix}:ctl:${channel}:${targetNode}`;
}

/**
 * Origins starting with this belong to SDK publishers. Nodes drop messages
 * whose origin is their own id, so no node may take an id in this space:
 * otherwise it would silently miss an SDK publisher's broadcasts.
 */
export const SDK_ORIGIN_PREFIX = 'sdk:';

export function isSdkOrigin(origin: string): boolean {
  return origin.startsWith(SDK_ORIGIN_PREFIX);
}
