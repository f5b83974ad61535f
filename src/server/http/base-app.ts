import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ErrorResponse } from '../../protocol/events.js';
import { FerryError } from '../../protocol/errors.js';
import { httpError, statusOf } from '../errors.js';

export function errorBody(err: FerryError): ErrorResponse {
  return { ok: false, code: err.code, error: err.message };
}

export interface BaseOptions {
  logger: FastifyServerOptions['logger'];
  bodyLimit: number;
  /** Fastify also takes a hop count, which its types omit. */
  trustProxy: FastifyServerOptions['trustProxy'] | number;
}

/**
 * What both listeners share: request ids, one log line per request, and one error shape
 * (`{ok:false, code, error}` with the status of the code's table). Nothing else: each listener
 * adds its own plugins, so nothing of the public one (CORS) can reach the operator one.
 */
export function createBaseApp(options: BaseOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger,
    // Our own onResponse hook logs one line per request, at debug.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy as FastifyServerOptions['trustProxy'],
    // The public listener answers 503 with Retry-After while closing; fastify's own 503 has none.
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });

  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url, ip: req.ip, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((error: unknown, req, reply) => {
    let err: FerryError;
    if (error instanceof FerryError) err = error;
    else {
      const e = error as { code?: string; statusCode?: number; message?: string };
      if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') err = httpError('batch_too_large', `the body is over the ${options.bodyLimit}-byte limit`);
      else if (e.statusCode && e.statusCode < 500) err = httpError('invalid_body', e.message ?? 'bad request');
      else {
        req.log.error({ err: error }, 'request failed');
        err = httpError('internal', 'internal error; nothing was acknowledged, retry');
      }
    }
    const status = statusOf(err);
    if (status === 503 || status === 429) reply.header('Retry-After', '2');
    if (status >= 400 && status < 500) req.log.warn({ reqId: req.id, code: err.code, error: err.message }, 'rejected request');
    void reply.code(status).send(errorBody(err));
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody(httpError('not_found', `no route ${req.method} ${req.url}`)));
  });

  return app;
}
