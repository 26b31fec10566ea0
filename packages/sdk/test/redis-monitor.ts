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
  const seen: SeenMessage[] = [];
  conn.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    seen.push({ channel: channel.toString(), origin: message.toString('utf8', 3, 3 + message[2]) });
  });
  await conn.connect();
  await conn.psubscribe(`${prefix}:b:*`);
  return {
    seen,
    on: (topic: string) => seen.filter((m) => m.channel === `${prefix}:b:${topic}`),
    stop: () => conn.disconnect(),
  };
}
