import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { buildApp } from './http/app.js';
import { buildOperatorApp } from './http/operator-app.js';
import { Ingester } from './ingest/ingester.js';
import { createRoutes } from './router/routes.js';
import { Router } from './router/router.js';
import { registerAdmin } from './admin/routes.js';
import { createMetrics, refreshOperationGauges, type Metrics } from './metrics.js';
import { compileTrackingPlans, violationCounts } from './ingest/tracking-plan.js';
import { ReplayRunner } from './admin/replay-runner.js';
import { openStore } from './store/open-store.js';
import { PostgresStore } from './store/postgres-store.js';
import type { Store } from './store/types.js';

export interface RunningServer {
  /** The public listener: ingestion and health. Not opened by a process of role `route` ('' and 0). */
  url: string;
  port: number;
  app: FastifyInstance;
  /** The operator listener: admin API and metrics. */
  adminUrl: string;
  adminPort: number;
  operator: FastifyInstance;
  store: Store;
  ingester: Ingester;
  router: Router;
  metrics: Metrics;
  /**
   * Settles if the store fails for good (its writer thread died): /ready answers 503 from then
   * on and every request that needs the store gets a 503. The owner should stop() and exit
   * non-zero so a supervisor restarts the process (cli.ts does).
   */
  failed: Promise<Error>;
  /** Stops accepting (503 + Retry-After), finishes what is in flight, closes the store. */
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 60_000;
const PRUNE_CHUNK = 5000;

export interface StartOptions {
  /** Adds routes before the server listens (the demo serves its page this way). */
  extend?: (app: FastifyInstance, parts: { store: Store; ingester: Ingester; router: Router }) => void | Promise<void>;
}

export async function startServer(config: Readonly<ServerConfig>, options: StartOptions = {}): Promise<RunningServer> {
  // Before anything opens: a plan that does not compile is a ConfigError (cli.ts: exit 1).
  const plans = compileTrackingPlans(config.sources);
  const metrics = createMetrics();
  const store = await openStore(config, {
    taken(parts, expired) {
      metrics.partitionsTaken.inc({ from: 'released' }, parts.length - expired.length);
      metrics.partitionsTaken.inc({ from: 'expired' }, expired.length);
    },
    error(err) {
      app.log.error({ err }, 'router partition heartbeat failed; retrying');
    },
  });
  let router: Router;
  try {
    await store.releaseLeases();
    router = await Router.create(store, config, {
      attempted(destination, outcome, count, ms) {
        metrics.deliveries.inc({ destination, outcome }, count);
        metrics.deliverySeconds.observe({ destination }, ms / 1000);
      },
      error(destination, err) {
        app.log.error({ err, destination }, 'delivery loop failed; retrying');
      },
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const routes = createRoutes(config);
  const ingester = new Ingester(store, routes, { maxPendingEvents: config.maxPendingEvents, dedupeWindowMs: config.dedupeWindowHours * 3600_000 });
  ingester.committed(() => router.wake());
  let closing = false;
  let ready = false;
  const failed = store.failed.then((err) => {
    ready = false;
    return err;
  });
  const suppressed = new Set(await store.suppressed());
  const app = buildApp({
    config,
    suppressed,
    ingester,
    metrics,
    closing: () => closing,
    ready: () => ready,
    plans,
    async violations(source, flagged, rejected) {
      for (const v of flagged) metrics.violations.inc({ source, event: v.event, outcome: 'flagged' });
      for (const v of rejected) metrics.violations.inc({ source, event: v.event, outcome: 'rejected' });
      try {
        await store.recordViolations(violationCounts(source, flagged, rejected, Date.now()));
      } catch (err) {
        // The events are committed (or refused) already: only the report misses these.
        app.log.error({ err, source }, 'tracking-plan violations could not be counted');
      }
    },
    logger: { level: config.logLevel },
  });
  const replays = new ReplayRunner(store, () => router.wake(), (replay, err) => app.log.error({ err, replay }, 'replay step failed; retrying'));
  const operator = buildOperatorApp({
    admin: config.admin,
    metrics,
    async beforeScrape() {
      metrics.backlog.set(ingester.backlog());
      if (store instanceof PostgresStore && store.partitions) metrics.partitionsOwned.set(store.partitions.held.size);
      await refreshOperationGauges(metrics, store, router.status(), Date.now());
    },
    logger: { level: config.logLevel },
  });
  registerAdmin(operator, { store, router, config, suppressed, replays });

  await options.extend?.(app, { store, ingester, router });

  // Pruning goes in small chunks between requests, never in one long transaction: old dedupe
  // entries, and (retention) succeeded deliveries, their attempts and fully delivered events;
  // aborted ones stay until handled.
  const inChunks = async (what: string, step: () => Promise<number>) => {
    try {
      while (!closing && (await step()) > 0) await new Promise((r) => setImmediate(r));
    } catch (err) {
      app.log.error({ err }, `${what} pruning failed`);
    }
  };
  const pruneTimer = setInterval(() => {
    const now = Date.now();
    void inChunks('dedupe', () => store.pruneDedupe(now - config.dedupeWindowHours * 3600_000, PRUNE_CHUNK));
    void inChunks('retention', () => store.pruneSucceeded(now - config.retentionHours * 3600_000, PRUNE_CHUNK));
  }, PRUNE_EVERY_MS);
  pruneTimer.unref();

  // The operator listener first: if its port is taken, nothing public has started yet.
  const adminUrl = await operator.listen({ port: config.admin.port, host: config.admin.host });
  let address = '';
  // A route process ingests nothing: no public listener.
  if (config.role !== 'route') {
    try {
      address = await app.listen({ port: config.port, host: config.host });
    } catch (err) {
      await operator.close();
      throw err;
    }
  }
  // An ingest process delivers nothing: the loops are not started (another process of role
  // route or all claims what it stores).
  if (config.role !== 'ingest') router.start();
  await replays.resumeAll();
  ready = true;
  const port = address ? (app.server.address() as { port: number }).port : 0;

  return {
    url: address,
    port,
    app,
    adminUrl,
    adminPort: (operator.server.address() as { port: number }).port,
    operator,
    store,
    ingester,
    router,
    metrics,
    failed,
    async stop() {
      if (closing) return;
      closing = true;
      clearInterval(pruneTimer);
      await ingester.drain();
      await app.close();
      await operator.close();
      await ingester.drain();
      await replays.stop();
      await router.stop();
      await store.close();
    },
  };
}
