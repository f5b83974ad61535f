import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.js';
import { httpError } from '../errors.js';
import type { Ingester } from '../ingest/ingester.js';
import { compatSettings } from './compat-settings.js';
import { identityCookie } from './identity-cookie.js';
import type { Metrics } from '../metrics.js';
import { createBaseApp, errorBody, type BaseOptions } from './base-app.js';
import { ingestBody } from './ingest-body.js';
import { ingestCors } from './ingest-cors.js';
import { ingestRoutes, type IngestRoutesOptions } from './ingest-routes.js';
import { writeKeyAuth } from './write-key-auth.js';

export interface AppDeps {
  config: Readonly<ServerConfig>;
  /** userIds / anonymousIds whose events are refused (kept current by the admin API). */
  suppressed: ReadonlySet<string>;
  ingester: Ingester;
  metrics: Metrics;
  plans: IngestRoutesOptions['plans'];
  violations: IngestRoutesOptions['violations'];
  /** True once shutdown has begun: new requests get 503 + Retry-After. */
  closing: () => boolean;
  ready: () => boolean;
  logger: BaseOptions['logger'];
}

/**
 * The public listener: ingestion (CORS, write keys, the /v1 routes, each a plugin confined to
 * the /v1 scope) and health. No operator route lives here (see operator-app.ts).
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  // Raw bodies: compressed input is bounded here, decompressed input in decodeBody.
  const app = createBaseApp({ logger: deps.logger, bodyLimit: config.maxBatchBytes + 64 * 1024, trustProxy: config.trustProxy });


  app.get('/health', async () => ({ ok: true }));
  app.get('/ready', async (_req, reply) => {
    if (!deps.ready() || deps.closing()) return reply.code(503).send({ ok: false, code: 'shutting_down', error: 'not ready' });
    return { ok: true, backlog: deps.ingester.backlog() };
  });

  void app.register(async (ingestion) => {
    await ingestion.register(ingestCors);
    // After CORS, so that a browser can read the 503 and its Retry-After.
    ingestion.addHook('onRequest', async (req, reply) => {
      if (deps.closing() && req.method === 'POST') {
        reply.header('Retry-After', '5');
        return reply.code(503).send(errorBody(httpError('shutting_down', 'the server is shutting down; retry shortly')));
      }
    });
    await ingestion.register(ingestBody, { maxBatchBytes: config.maxBatchBytes });
    await ingestion.register(writeKeyAuth, { sources: config.sources });
    await ingestion.register(ingestRoutes, { ingester: deps.ingester, metrics: deps.metrics, maxEventBytes: config.maxEventBytes, maxBatchBytes: config.maxBatchBytes, suppressed: deps.suppressed, plans: deps.plans, violations: deps.violations, ipPolicies: new Map(config.sources.map((s) => [s.name, s.ip])) });
  }, { prefix: '/v1' });

  // The settings third-party browser SDKs fetch (same CORS as ingestion: any site embeds them).
  void app.register(async (settings) => {
    await settings.register(ingestCors);
    await settings.register(compatSettings, { config });
  });

  if (config.identityCookie) void app.register(identityCookie, config.identityCookie);

  return app;
}
