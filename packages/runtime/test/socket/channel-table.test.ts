import type { Channel } from '../../src/channel/channel';
import { ChannelTable } from '../../src/socket/channel-table';

/* The per-socket channel table: a list for the usual few channels, a Map index past eight. */

const ch = (topic: string, joinRef = '1') => ({ topic, joinRef }) as unknown as Channel<unknown>;

it('finds, replaces and removes channels below and above the index threshold', () => {
  const table = new ChannelTable<unknown>();
  expect(table.size).toBe(0);
  expect(table.get('room:0')).toBeUndefined();
  const channels = Array.from({ length: 20 }, (_, i) => ch(`room:${i}`));
  for (const [i, c] of channels.entries()) {
    table.set(c);
    expect(table.size).toBe(i + 1);
    for (const earlier of channels.slice(0, i + 1)) expect(table.get(earlier.topic)).toBe(earlier);
  }
  // a duplicate join replaces the topic's channel; the old one's removal is then a no-op
  const newer = ch('room:3', '2');
  table.set(newer);
  expect(table.size).toBe(20);
  expect(table.get('room:3')).toBe(newer);
  table.remove(channels[3]);
  expect(table.get('room:3')).toBe(newer);
  for (const c of channels) if (c.topic !== 'room:3') table.remove(c);
  expect(table.size).toBe(1);
  expect(table.values()).toEqual([newer]);
  expect(table.get('room:15')).toBeUndefined();
  table.remove(newer);
  expect(table.size).toBe(0);
  expect(table.values()).toEqual([]);
});

it('iterates a snapshot, so channels may leave during the loop', () => {
  const table = new ChannelTable<unknown>();
  const channels = ['a', 'b', 'c'].map((t) => ch(t));
  for (const c of channels) table.set(c);
  const seen: string[] = [];
  for (const c of table.values()) {
    seen.push(c.topic);
    table.remove(c);
  }
  expect(seen).toEqual(['a', 'b', 'c']);
  expect(table.size).toBe(0);
});
