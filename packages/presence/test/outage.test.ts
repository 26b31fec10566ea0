import { startPrivateRedis, type PrivateRedis } from '@cinder/testkit';
import { Cluster, clientRefs, diffsWith, refs } from './nodes';
import { waitFor } from './wait';

const T = 'room:lobby';

describe('Tracker through a Redis outage', () => {
  let redis: PrivateRedis;
  let cluster: Cluster;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    cluster = new Cluster(redis.url, 'outage');
  });

  afterAll(async () => {
    await cluster.closeAll();
    await redis.close();
  });

  test('peers go down (leaves), come back with the same vsn (joins), and a transfer repairs what was missed', async () => {
    const a = await cluster.node('a');
    const b = await cluster.node('b');
    const kept = {};
    const dropped = {};
    const aKept = a.tracker.track(kept, T, 'kept', {});
    const aGone = a.tracker.track(dropped, T, 'gone', {});
    const bOwn = b.tracker.track({}, T, 'bee', {});
    const all = { bee: [bOwn], gone: [aGone], kept: [aKept] };
    await waitFor('initial sync', () => JSON.stringify(refs(b, T)) === JSON.stringify(all));

    await redis.stop('SIGKILL');
    // With the link gone, each side reports the other's presences as leaves after down_period.
    await waitFor('b to mark a down', () => JSON.stringify(refs(b, T)) === JSON.stringify({ bee: [bOwn] }), 5000);
    await waitFor('a to mark b down', () => refs(a, T).bee === undefined, 5000);
    expect(diffsWith(b, 'leaves', aKept)).toHaveLength(1);

    // Changes made during the outage cannot be heard by anyone: a gap in a's log.
    a.tracker.untrackOwner(dropped);
    const aNew = a.tracker.track({}, T, 'new', {});
    await new Promise((r) => setTimeout(r, 300));

    await redis.start();
    const healed = { bee: [bOwn], kept: [aKept], new: [aNew] };
    const want = JSON.stringify(healed);
    await waitFor(
      'both nodes to reconcile',
      () => [a, b].every((n) => JSON.stringify(refs(n, T)) === want && JSON.stringify(clientRefs(n, T)) === want),
      10_000,
    );
    // a came back with the same vsn: its known presences joined again before the transfer fixed the rest.
    expect(diffsWith(b, 'joins', aKept)).toHaveLength(2);
    expect(diffsWith(b, 'joins', aNew)).toHaveLength(1);
    expect(diffsWith(a, 'joins', bOwn)).toHaveLength(2);
  });
});
