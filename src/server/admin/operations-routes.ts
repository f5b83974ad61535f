import type { FastifyInstance } from 'fastify';
import { httpError } from '../errors.js';
import type { ServerConfig } from '../config.js';
import type { Router } from '../router/router.js';
import type { Store } from '../store/types.js';
import { timeSchema, window } from './query-time.js';
import { replayMatch } from './replay-match.js';
import type { ReplayRunner } from './replay-runner.js';

const DAY_MS = 24 * 3600_000;
const text = { type: 'string', minLength: 1 } as const;
const windowQuery = { type: 'object', properties: { from: timeSchema, to: timeSchema } } as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: text } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
const MAX_REASON_CHARS = 500;
const replayBody = {
  type: 'object',
  additionalProperties: false,
  required: ['destination', 'from', 'to'],
  properties: { destination: text, from: timeSchema, to: timeSchema, source: text, type: text, event: text },
} as const;
const violationsQuery = { type: 'object', properties: { source: text, event: text } } as const;

interface WindowQuery { from?: string; to?: string }
interface ReplayBody { destination: string; from: string; to: string; source?: string; type?: string; event?: string }

/**
 * The operator's questions and levers of issue 17, under /admin: per-destination verification
 * summaries, pause and resume, replays, tracking-plan violations.
 */
export function registerOperations(admin: FastifyInstance, deps: { store: Store; router: Router; config: Readonly<ServerConfig>; replays: ReplayRunner }): void {
  const { store, router, config, replays } = deps;

  /** Before the body is checked: an unknown destination is a 404 whatever was sent. */
  const known = { preValidation: async (req: { params: unknown }) => {
    const { name } = req.params as { name: string };
    if (!router.has(name)) throw httpError('not_found', `no destination is named "${name}"`);
  } };

  async function summary(name: string, fromMs: number, toMs: number) {
    const s = router.status().find((x) => x.name === name)!;
    return { destination: name, ...(await store.summary(name, fromMs, toMs)), paused: s.paused, breaker: s.breaker };
  }

  admin.get<{ Querystring: WindowQuery }>('/summary', { schema: { querystring: windowQuery } }, async (req) => {
    const { fromMs, toMs } = window(req.query.from, req.query.to, Date.now(), DAY_MS);
    const destinations = await Promise.all(router.status().map((s) => summary(s.name, fromMs, toMs)));
    return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), destinations };
  });

  admin.get<{ Params: { name: string }; Querystring: WindowQuery }>('/destinations/:name/summary', { ...known, schema: { params: nameParams, querystring: windowQuery } }, async (req) => {
    const { fromMs, toMs } = window(req.query.from, req.query.to, Date.now(), DAY_MS);
    return summary(req.params.name, fromMs, toMs);
  });

  // The body is optional (a bare POST pauses), so it is checked here rather than by a schema.
  admin.post<{ Params: { name: string }; Body: unknown }>('/destinations/:name/pause', { ...known, schema: { params: nameParams } }, async (req) => {
    const reason = (req.body as { reason?: unknown } | undefined)?.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS)) throw httpError('invalid_body', `"reason" must be a string of at most ${MAX_REASON_CHARS} characters`);
    await router.pause(req.params.name, reason ?? null, Date.now());
    req.log.warn({ destination: req.params.name, reason }, 'destination paused by an operator');
    return { destination: req.params.name, paused: true };
  });

  admin.post<{ Params: { name: string } }>('/destinations/:name/resume', { ...known, schema: { params: nameParams } }, async (req) => {
    await router.resume(req.params.name);
    req.log.warn({ destination: req.params.name }, 'destination resumed by an operator');
    return { destination: req.params.name, paused: false };
  });

  const replay = async (id: number) => {
    const [r] = await store.replays({ id });
    if (!r) throw httpError('not_found', `no replay ${id}`);
    return r;
  };

  admin.post<{ Body: ReplayBody }>('/replays', { schema: { body: replayBody } }, async (req, reply) => {
    const b = req.body;
    const { fromMs, toMs } = window(b.from, b.to, Date.now(), DAY_MS);
    const match = replayMatch(config, { destination: b.destination, fromMs, toMs, source: b.source, type: b.type, event: b.event });
    const filter = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), source: b.source ?? null, type: b.type ?? null, event: b.event ?? null };
    const id = await store.createReplay({ destination: b.destination, filter, match }, Date.now());
    const record = await replay(id);
    replays.start(id);
    req.log.warn({ replay: record }, 'replay started by an operator');
    return reply.code(202).send({ ...record, state: 'running' });
  });

  admin.get<{ Querystring: { limit?: number } }>('/replays', { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } } } } }, async (req) => ({
    replays: await store.replays({ limit: Math.min(req.query.limit ?? 100, 1000) }),
  }));

  admin.get<{ Params: { id: number } }>('/replays/:id', { schema: { params: idParams } }, async (req) => replay(req.params.id));

  /** Stops making copies and aborts the replay's waiting deliveries; a finished replay is answered as it is. */
  admin.post<{ Params: { id: number } }>('/replays/:id/cancel', { schema: { params: idParams } }, async (req) => {
    await replay(req.params.id);
    if (await store.cancelReplay(req.params.id, Date.now())) req.log.warn({ replay: req.params.id }, 'replay cancelled by an operator');
    return replay(req.params.id);
  });

  admin.get<{ Querystring: { source?: string; event?: string } }>('/violations', { schema: { querystring: violationsQuery } }, async (req) => {
    const rows = await store.violations({ source: req.query.source, event: req.query.event });
    return { violations: rows.map((v) => ({ ...v, lastAt: new Date(v.lastAt).toISOString() })) };
  });
}
