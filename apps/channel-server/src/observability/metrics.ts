import client from 'prom-client';
import type { Endpoint, PubSub, PubSubAdapter } from '@cinder/runtime';

export interface Metrics {
  registry: client.Registry;
  storeCommitSeconds: client.Histogram;
  fanoutSeconds: client.Histogram;
}

/**
 * Prometheus metrics. Hot-path counters live as plain numbers in the runtime
 * and are read at scrape time, so delivering a message costs no metric call.
 */
export function createMetrics(endpoint: Endpoint<any>, pubsub: PubSub, adapter: PubSubAdapter): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'cinder_process_' });
  new client.Gauge({
    name: 'cinder_connections',
    help: 'Open client sockets on this node',
    registers: [registry],
    collect() {
      this.set(endpoint.connections.size);
    },
  });
  new client.Gauge({
    name: 'cinder_joined_channels',
    help: 'Joined channels on this node',
    registers: [registry],
    collect() {
      let n = 0;
      for (const c of endpoint.connections) n += c.channels.size;
      this.set(n);
    },
  });
  new client.Counter({
    name: 'cinder_messages_in_total',
    help: 'Client frames decoded',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(endpoint.stats.messagesIn);
    },
  });
  new client.Counter({
    name: 'cinder_messages_out_total',
    help: 'Frames sent to clients (broadcast deliveries included)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(endpoint.stats.messagesOut);
    },
  });
  new client.Counter({
    name: 'cinder_broadcast_deliveries_total',
    help: 'Broadcast frames handed to local subscribers',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(pubsub.stats.deliveries);
    },
  });
  new client.Counter({
    name: 'cinder_protocol_errors_total',
    help: 'Sockets closed for bad input, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(endpoint.stats.protocolErrors)) this.inc({ reason }, n);
    },
  });
  new client.Counter({
    name: 'cinder_rate_limited_total',
    help: 'Inbound events refused with rate_limited',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(endpoint.stats.rateLimited);
    },
  });
  new client.Gauge({
    name: 'cinder_redis_link_up',
    help: '1 when the cluster link (Redis) is healthy; 1 on a single node',
    registers: [registry],
    collect() {
      this.set(adapter.status().ok ? 1 : 0);
    },
  });
  const fanoutSeconds = new client.Histogram({
    name: 'cinder_broadcast_fanout_seconds',
    help: 'Time to hand one broadcast to all local subscribers',
    buckets: [0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  const storeCommitSeconds = new client.Histogram({
    name: 'cinder_store_commit_seconds',
    help: 'Duration of store commits (one group-commit batch)',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  return { registry, storeCommitSeconds, fanoutSeconds };
}
