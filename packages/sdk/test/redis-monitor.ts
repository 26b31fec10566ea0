import Redis from 'ioredis';

export interface SeenMessage {
  channel: string;
  /** the publisher's id, read from the envelope header ([version][kind][originLen][origin]…) */
  origin: string;
}

/**
 * Everything published on the cluster's broadcast channels, read straight
 * off Redis: proves which path (a node or the SDK) published a broadcast,
 * and that a refused one published nothing.
 */
export async function monitorBroadcasts(url: string, prefix = 'cinder') {
  const conn = new Redis(url, { lazyConnect: true });
  const publisher = new Redis(url);
  const seen: SeenMessage[] = [];
  const barrier = `${prefix}:b:__monitor_barrier__`;
  const barriers: Array<() => void> = [];
  conn.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    const name = channel.toString();
    if (name === barrier) barriers.shift()?.();
    else seen.push({ channel: name, origin: message.toString('utf8', 3, 3 + message[2]) });
  });
  await conn.connect();
  await conn.psubscribe(`${prefix}:b:*`);
  const on = (topic: string) => seen.filter((m) => m.channel === `${prefix}:b:${topic}`);
  return {
    seen,
    /**
     * What was published on `topic`, once every PUBLISH Redis has already
     * answered has reached the monitor too: Redis hands one subscriber its
     * messages in order, so a barrier published now arrives after them.
     */
    async on(topic: string): Promise<SeenMessage[]> {
      const arrived = new Promise<void>((resolve) => barriers.push(resolve));
      await publisher.publish(barrier, 'sync');
      await arrived;
      return on(topic);
    },
    stop: () => {
      conn.disconnect();
      publisher.disconnect();
    },
  };
}
