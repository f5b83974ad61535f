import type { FastifyInstance } from 'fastify';
import type { AdminConfig } from '../config.js';
import { httpError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { createBaseApp, type BaseOptions } from './base-app.js';
import { registerConsole } from './console-files.js';
import { LOOPBACK_HOSTS, operatorGuard } from './operator-guard.js';

export interface OperatorAppDeps {
  admin: Readonly<AdminConfig>;
  metrics: Metrics;
  /** Refreshes gauges just before a scrape. */
  beforeScrape: () => Promise<void>;
  logger: BaseOptions['logger'];
}

/**
 * The operator listener: admin API (registered by the caller under /admin), the console page
 * (/console/) and /metrics, behind the operator guard. It has no CORS plugin at all and is a
 * Fastify instance of its own, so no hook of the public listener can reach it.
 */
export function buildOperatorApp(deps: OperatorAppDeps): FastifyInstance {
  const { admin } = deps;
  // The guard never looks at addresses, and nothing here logs one that a proxy could forge.
  const app = createBaseApp({ logger: deps.logger, bodyLimit: 1024 * 1024, trustProxy: false });
  const bound = admin.host.includes(':') && !admin.host.startsWith('[') ? `[${admin.host}]` : admin.host;
  const wildcard = ['0.0.0.0', '[::]', '::'].includes(admin.host);
  void app.register(operatorGuard, {
    token: admin.token,
    allowedHosts: [...LOOPBACK_HOSTS, ...(wildcard ? [] : [bound]), ...admin.allowedHosts],
  });

  // JSON only: a browser can send text/plain or a form without a preflight, never JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch (err) {
      done(httpError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  registerConsole(app);
  app.get('/metrics', async (_req, reply) => {
    await deps.beforeScrape();
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return app;
}
