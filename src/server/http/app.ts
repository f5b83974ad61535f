import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import { randomUUID } from 'node:crypto';
import type { BatchResponse, ErrorResponse, EventType, RejectedEvent } from '../../protocol/events.js';
import { isPlainObject, jsonKind } from '../../protocol/json.js';
import { FerryError } from '../../protocol/errors.js';
import type { ServerErrorCode } from '../../protocol/errors.js';
import type { ServerConfig } from '../config.js';
import { httpError, statusOf } from '../errors.js';
import type { Ingester, IngestItem } from '../ingest/ingester.js';
import { arrival, enrich, validateEvent } from '../ingest/validate.js';
import { decodeBody } from './decode.js';
import { compatSettings } from './compat-settings.js';
import type { Metrics } from '../metrics.js';

/** Added by enrichment (receivedAt, timestamp, sentAt...), not counted against the client's 32 KB. */
const ENRICH_SLACK_BYTES = 512;
const SINGLE_TYPES: EventType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

export interface AppDeps {
  config: Readonly<ServerConfig>;
  /** userIds / anonymousIds whose events are refused (kept current by the admin API). */
  suppressed: ReadonlySet<string>;
  ingester: Ingester;
  metrics: Metrics;
  /** True once shutdown has begun: new requests get 503 + Retry-After. */
  closing: () => boolean;
  ready: () => boolean;
  logger: FastifyInstance['log'] | boolean | Record<string, unknown>;
}

function errorBody(err: FerryError): ErrorResponse {
  return { ok: false, code: err.code, error: err.message };
}

function writeKeyOf(req: FastifyRequest, body: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    if (user) return user;
  }
  if (typeof body.writeKey === 'string' && body.writeKey) return body.writeKey;
  return undefined;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, ingester } = deps;
  const sourceByKey = new Map<string, string>();
  for (const s of config.sources) for (const k of s.writeKeys) sourceByKey.set(k, s.name);

  const app = Fastify({
    logger: deps.logger as boolean,
    // Our own onResponse hook logs one line per request, at debug.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    // Raw bodies: compressed input is bounded here, decompressed input in decodeBody.
    bodyLimit: config.maxBatchBytes + 64 * 1024,
    trustProxy: false,
    // Our onRequest hook answers 503 with Retry-After while closing; fastify's own 503 has none.
    return503OnClosing: false,
  });

  void app.register(cors, {
    origin: true,
    methods: ['GET', 'POST', 'OPTIONS'],
    // RudderStack's browser SDK v3 adds AnonymousId, SentAt and its Rsa-* retry headers to every post.
    allowedHeaders: ['Content-Type', 'Content-Encoding', 'Authorization', 'X-Request-Id', 'AnonymousId', 'SentAt', 'Rsa-Recovered', 'Rsa-Retry-Attempt', 'Rsa-Since-Last-Attempt', 'Rsa-Since-First-Attempt', 'Rsa-Retry-Reason'],
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    maxAge: 86400,
    credentials: false,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
    if (deps.closing() && req.method === 'POST') {
      reply.header('Retry-After', '5');
      const err = httpError('shutting_down', 'the server is shutting down; retry shortly');
      return reply.code(503).send(errorBody(err));
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'POST' && req.url.startsWith('/v1/')) deps.metrics.requests.inc({ status: String(reply.statusCode) });
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler((error: unknown, req, reply) => {
    let err: FerryError;
    if (error instanceof FerryError) err = error;
    else {
      const e = error as { code?: string; statusCode?: number; message?: string };
      if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') err = httpError('batch_too_large', `the body is over the ${config.maxBatchBytes}-byte limit`);
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

  app.get('/health', async () => ({ ok: true }));
  app.get('/ready', async (_req, reply) => {
    if (!deps.ready() || deps.closing()) return reply.code(503).send({ ok: false, code: 'shutting_down', error: 'not ready' });
    return { ok: true, backlog: ingester.backlog() };
  });

  async function parse(req: FastifyRequest): Promise<{ body: Record<string, unknown>; source: string; receivedAt: number }> {
    const receivedAt = Date.now();
    const raw = req.body;
    if (!Buffer.isBuffer(raw) || raw.length === 0) throw httpError('invalid_body', 'the request has no body; send a JSON object');
    const text = await decodeBody(raw, req.headers['content-encoding'], config.maxBatchBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw httpError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(body)) throw httpError('invalid_body', `the body must be a JSON object, got ${jsonKind(body)}`);
    const obj = body;
    const key = writeKeyOf(req, obj);
    if (!key) throw httpError('unauthorized', 'no write key: use HTTP Basic auth with the write key as user name, or "writeKey" in the body');
    const source = sourceByKey.get(key);
    if (!source) throw httpError('unauthorized', 'unknown write key');
    return { body: obj, source, receivedAt };
  }

  /** Validates and enriches each event; invalid ones are reported by index, valid ones kept. */
  function prepare(raws: unknown[], forced: EventType | undefined, batch: Record<string, unknown>, receivedAt: number) {
    const items: IngestItem[] = [];
    const rejected: RejectedEvent[] = [];
    const at = arrival(receivedAt, batch.sentAt);
    const batchContext = isPlainObject(batch.context) ? batch.context : undefined;
    raws.forEach((raw, index) => {
      const v = validateEvent(raw, forced);
      if (!v.ok) return void rejected.push({ index, reason: v.reason, code: v.code });
      if (deps.suppressed.size > 0 && (deps.suppressed.has(String(v.event.userId)) || deps.suppressed.has(String(v.event.anonymousId)))) {
        return void rejected.push({ index, code: 'suppressed', reason: 'the user is suppressed: their events are not collected' });
      }
      const event = batchContext ? { ...v.event, context: { ...batchContext, ...(v.event.context ?? {}) } } : v.event;
      const enriched = enrich(event, at);
      const json = JSON.stringify(enriched);
      const bytes = Buffer.byteLength(json);
      if (bytes > config.maxEventBytes + ENRICH_SLACK_BYTES) {
        return void rejected.push({ index, code: 'event_too_large', reason: `the event is ${bytes} bytes, over the ${config.maxEventBytes}-byte limit` });
      }
      items.push({ event: enriched, userKey: v.userKey, body: json });
    });
    return { items, rejected };
  }

  async function respond(reply: FastifyReply, source: string, items: IngestItem[], rejected: RejectedEvent[], receivedAt: number): Promise<BatchResponse> {
    const seqs = await ingester.submit(source, items, receivedAt);
    const duplicates = seqs.filter((s) => s === null).length;
    deps.metrics.commitSeconds.observe((Date.now() - receivedAt) / 1000);
    deps.metrics.events.inc({ source, outcome: 'accepted' }, seqs.length - duplicates);
    if (duplicates) deps.metrics.events.inc({ source, outcome: 'duplicate' }, duplicates);
    if (rejected.length) deps.metrics.events.inc({ source, outcome: 'rejected' }, rejected.length);
    void reply.code(200);
    return { ok: true, accepted: seqs.length - duplicates, duplicates, rejected };
  }

  const batchHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const { body, source, receivedAt } = await parse(req);
    if (!Array.isArray(body.batch)) throw httpError('invalid_body', '"batch" must be an array of events');
    if (body.batch.length === 0) throw httpError('empty_batch', '"batch" is empty');
    const { items, rejected } = prepare(body.batch, undefined, body, receivedAt);
    return respond(reply, source, items, rejected, receivedAt);
  };
  void app.register(compatSettings, { config });
  // Segment's short paths (/v1/b, /v1/t, ...) are served by the same handlers.
  app.post('/v1/batch', batchHandler);
  app.post('/v1/b', batchHandler);

  for (const type of SINGLE_TYPES) {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const { body, source, receivedAt } = await parse(req);
      const { items, rejected } = prepare([body], type, {}, receivedAt);
      if (rejected.length > 0) throw new FerryError(rejected[0]!.code as ServerErrorCode, rejected[0]!.reason);
      return respond(reply, source, items, rejected, receivedAt);
    };
    app.post(`/v1/${type}`, handler);
    app.post(`/v1/${type[0]}`, handler);
  }

  return app;
}
