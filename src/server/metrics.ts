import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, one registry per server instance. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ferry_process_' });
  return {
    registry,
    events: new Counter({ name: 'ferry_events_total', help: 'Events received, by outcome (accepted, duplicate, rejected)', labelNames: ['source', 'outcome'], registers: [registry] }),
    requests: new Counter({ name: 'ferry_http_requests_total', help: 'Ingestion requests by status code', labelNames: ['status'], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'ferry_ingest_commit_seconds', help: 'Time from request arrival to durable commit', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] }),
    deliveries: new Counter({ name: 'ferry_deliveries_total', help: 'Delivery outcomes per destination', labelNames: ['destination', 'outcome'], registers: [registry] }),
    deliverySeconds: new Histogram({ name: 'ferry_delivery_request_seconds', help: 'Destination request duration', labelNames: ['destination'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    paused: new Gauge({ name: 'ferry_destination_paused', help: '1 while a destination is paused by its breaker', labelNames: ['destination'], registers: [registry] }),
    partitionsOwned: new Gauge({ name: 'ferry_router_partitions_owned', help: 'PostgreSQL: router partitions this process owns (its share of the users it delivers for)', registers: [registry] }),
    partitionsTaken: new Counter({ name: 'ferry_router_partitions_taken_total', help: 'PostgreSQL: router partitions taken, from a process that released them or from one that stopped renewing (died or stalled)', labelNames: ['from'], registers: [registry] }),
    backlog: new Gauge({ name: 'ferry_ingest_backlog_events', help: 'Events accepted but not yet committed', registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
