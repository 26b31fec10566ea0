import { randomBytes } from 'node:crypto';
import { SDK_ORIGIN_PREFIX, broadcastChannel, encodeBroadcast, type BroadcastResponse } from '@cinder/contract';
import { ephemeralBroadcast } from './ephemeral-broadcast';
import { RedisPublisher } from './redis-publisher';

export interface RedisMode {
  publish(topic: string, event: string, payload: unknown): Promise<BroadcastResponse>;
  close(): Promise<void>;
}

/**
 * Ephemeral broadcasts straight onto the cluster's Redis, in the envelope
 * and on the channel the nodes use (@cinder/contract), so subscribers get
 * the same frames as through POST /api/broadcast.
 */
export function createRedisMode(url: string, prefix: string, timeoutMs: number): RedisMode {
  if (!/^rediss?:\/\//.test(url)) throw new Error(`createClient: redisUrl must be a redis:// or rediss:// URL`);
  // Nodes drop messages carrying their own id; this prefix is one no node may take (RedisAdapter refuses it).
  const origin = `${SDK_ORIGIN_PREFIX}${randomBytes(12).toString('base64url')}`;
  const publisher = new RedisPublisher(url, timeoutMs, `cinder-${origin}`);
  return {
    // Validated and handed to the connection synchronously, so calls reach Redis in call order.
    async publish(topic: string, event: string, payload: unknown): Promise<BroadcastResponse> {
      const msg = ephemeralBroadcast(topic, event, payload);
      await publisher.publish(broadcastChannel(prefix, msg.topic), encodeBroadcast(origin, msg));
      return { ok: true };
    },
    close: () => publisher.close(),
  };
}
