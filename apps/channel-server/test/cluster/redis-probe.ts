/**
 * A look inside the cluster's private Redis: how many connections subscribe
 * to a channel, and which LongPoll routing messages travel between nodes.
 * The channel names follow packages/pubsub/src/redis.ts (prefix "cinder").
 */
import Redis from 'ioredis';

export const topicChannel = (topic: string) => `cinder:b:${topic}`;

/** PUBSUB NUMSUB for each channel, on a short-lived connection. */
export async function numsub(url: string, channels: string[]): Promise<Record<string, number>> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    const reply = (await r.call('PUBSUB', 'NUMSUB', ...channels)) as Array<string | number>;
    const out: Record<string, number> = {};
    for (let i = 0; i < reply.length; i += 2) out[String(reply[i])] = Number(reply[i + 1]);
    return out;
  } finally {
    r.disconnect();
  }
}

export interface RoutedMessage {
  /** node that published it */
  from: string;
  /** node it was addressed to */
  to: string;
  t: string;
}

/**
 * Records every node-to-node LongPoll routing message (cinder:ctl:longpoll:<node>).
 * The envelope is [version][kind][originLen][origin][data] (pubsub/src/envelope.ts).
 */
export async function watchLongPollRouting(url: string): Promise<{ seen: RoutedMessage[]; stop(): void }> {
  const r = new Redis(url, { lazyConnect: true });
  const seen: RoutedMessage[] = [];
  r.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    const from = message.toString('utf8', 3, 3 + message[2]);
    const body = JSON.parse(message.toString('utf8', 3 + message[2]));
    seen.push({ from, to: channel.toString().slice('cinder:ctl:longpoll:'.length), t: body.t });
  });
  await r.connect();
  await r.psubscribe('cinder:ctl:longpoll:*');
  return { seen, stop: () => r.disconnect() };
}
