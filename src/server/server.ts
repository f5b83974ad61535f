import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.js';
import { buildApp } from './http/app.js';
import { Ingester } from './ingest/ingester.js';
import { createRoutes } from './router/routes.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/types.js';

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  ingester: Ingester;
  /** Stops accepting (503 + Retry-After), finishes what is in flight, closes the store. */
  stop(): Promise<void>;
}

const PRUNE_EVERY_MS = 60_000;
const PRUNE_CHUNK = 5000;

export interface StartOptions {
  /** Adds routes before the server listens (the demo serves its page this way). */
  extend?: (app: FastifyInstance, parts: { store: Store; ingester: Ingester }) => void | Promise<void>;
}

export async function startServer(config: Readonly<ServerConfig>, options: StartOptions = {}): Promise<RunningServer> {
  const store = await openStore(config);
  const routes = createRoutes(config);
  const ingester = new Ingester(store, routes, { maxPendingEvents: config.maxPendingEvents, dedupeWindowMs: config.dedupeWindowHours * 3600_000 });
  let closing = false;
  let ready = false;
  const app = buildApp({
    config,
    ingester,
    closing: () => closing,
    ready: () => ready,
    logger: { level: config.logLevel },
  });

  await options.extend?.(app, { store, ingester });

  // Old dedupe entries go in small chunks between requests, never in one long transaction.
  const prune = async () => {
    const cutoff = Date.now() - config.dedupeWindowHours * 3600_000;
    let n = PRUNE_CHUNK;
    while (n === PRUNE_CHUNK && !closing) {
      n = await store.pruneDedupe(cutoff, PRUNE_CHUNK);
      await new Promise((r) => setImmediate(r));
    }
  };
  const pruneTimer = setInterval(() => void prune().catch((err) => app.log.error({ err }, 'dedupe pruning failed')), PRUNE_EVERY_MS);
  pruneTimer.unref();

  const address = await app.listen({ port: config.port, host: config.host });
  ready = true;
  const port = (app.server.address() as { port: number }).port;

  return {
    url: address,
    port,
    app,
    store,
    ingester,
    async stop() {
      if (closing) return;
      closing = true;
      clearInterval(pruneTimer);
      await ingester.drain();
      await app.close();
      await ingester.drain();
      await store.close();
    },
  };
}
