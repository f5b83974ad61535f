import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DestinationStatus } from './router/router.js';
import type { Store } from './store/types.js';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
/** The replays whose progress is exported: the most recent ones. */
const REPLAYS_EXPORTED = 20;

/** The server's Prometheus metrics, one registry per server instance. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ferry_process_' });
  const gauge = (name: string, help: string, labelNames: string[] = ['destination']) => new Gauge({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    events: new Counter({ name: 'ferry_events_total', help: 'Events received, by outcome (accepted, duplicate, rejected)', labelNames: ['source', 'outcome'], registers: [registry] }),
    requests: new Counter({ name: 'ferry_http_requests_total', help: 'Ingestion requests by status code', labelNames: ['status'], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'ferry_ingest_commit_seconds', help: 'Time from request arrival to durable commit', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] }),
    deliveries: new Counter({ name: 'ferry_deliveries_total', help: 'Delivery attempts per destination, by outcome (succeeded, failed: retried later, aborted)', labelNames: ['destination', 'outcome'], registers: [registry] }),
    deliverySeconds: new Histogram({ name: 'ferry_delivery_request_seconds', help: 'Destination request duration', labelNames: ['destination'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    paused: gauge('ferry_destination_paused', '1 while an operator has paused the destination'),
    breaker: gauge('ferry_destination_breaker_state', "The destination's breaker: 0 closed, 1 half-open (probing), 2 open"),
    pending: gauge('ferry_destination_pending', 'Live deliveries free to go (due, or failed and waiting for their retry)'),
    blocked: gauge('ferry_destination_blocked', "Due deliveries waiting behind their user's failing delivery"),
    retrying: gauge('ferry_destination_retrying', 'Failed deliveries waiting for their retry'),
    oldestPendingAge: gauge('ferry_destination_oldest_pending_age_seconds', 'Age of the oldest live delivery (0 when none)'),
    replayTotal: gauge('ferry_replay_events', 'Events a replay matched when it started', ['replay', 'destination']),
    replayCreated: gauge('ferry_replay_created', 'Deliveries a replay created so far', ['replay', 'destination']),
    replayDelivered: gauge('ferry_replay_delivered', "A replay's deliveries that succeeded", ['replay', 'destination']),
    violations: new Counter({ name: 'ferry_plan_violations_total', help: 'Tracking-plan violations by source and event name, by outcome (flagged, rejected)', labelNames: ['source', 'event', 'outcome'], registers: [registry] }),
    partitionsOwned: new Gauge({ name: 'ferry_router_partitions_owned', help: 'PostgreSQL: router partitions this process owns (its share of the users it delivers for)', registers: [registry] }),
    partitionsTaken: new Counter({ name: 'ferry_router_partitions_taken_total', help: 'PostgreSQL: router partitions taken, from a process that released them or from one that stopped renewing (died or stalled)', labelNames: ['from'], registers: [registry] }),
    backlog: new Gauge({ name: 'ferry_ingest_backlog_events', help: 'Events accepted but not yet committed', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Just before a scrape: the gauges read from the store and the router. */
export async function refreshOperationGauges(metrics: Metrics, store: Store, status: DestinationStatus[], now: number): Promise<void> {
  await Promise.all(status.map(async (s) => {
    const destination = s.name;
    const c = await store.counts(destination, now);
    metrics.paused.set({ destination }, s.paused ? 1 : 0);
    metrics.breaker.set({ destination }, BREAKER_VALUE[s.breaker]);
    metrics.pending.set({ destination }, c.pending + c.failed);
    metrics.blocked.set({ destination }, c.blocked);
    metrics.retrying.set({ destination }, c.failed);
    metrics.oldestPendingAge.set({ destination }, c.oldestLiveAt === null ? 0 : Math.max(0, now - c.oldestLiveAt) / 1000);
  }));
  const replays = await store.replays({ limit: REPLAYS_EXPORTED });
  for (const g of [metrics.replayTotal, metrics.replayCreated, metrics.replayDelivered]) g.reset();
  for (const r of replays) {
    const labels = { replay: String(r.id), destination: r.destination };
    metrics.replayTotal.set(labels, r.total);
    metrics.replayCreated.set(labels, r.created);
    metrics.replayDelivered.set(labels, r.delivered);
  }
}
