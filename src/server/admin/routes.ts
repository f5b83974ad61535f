import type { FastifyInstance } from 'fastify';
import type { DeliveryState, Store } from '../store/types.js';
import type { Router } from '../router/router.js';
import type { ServerConfig } from '../config.js';
import { httpError } from '../errors.js';
import { eraseUser, resumeErasures } from './erasure.js';
import { refuseNul } from './nul-guard.js';
import { registerOperations } from './operations-routes.js';
import { timeSchema, toMs } from './query-time.js';
import type { ReplayRunner } from './replay-runner.js';

const STATES: DeliveryState[] = ['pending', 'failed', 'succeeded', 'aborted'];

// Query and body shapes, checked by fastify before a handler runs (a mismatch is a 400
// invalid_body naming the field); query numbers and booleans arrive coerced.
const text = { type: 'string', minLength: 1 } as const;
const count = { type: 'integer', minimum: 0 } as const;

const eventsQuery = {
  type: 'object',
  properties: { source: text, user: text, messageId: text, type: text, since: timeSchema, until: timeSchema, afterSeq: count, limit: count, order: { enum: ['asc', 'desc'] } },
} as const;
const deliveriesQuery = {
  type: 'object',
  properties: { destination: text, state: { enum: STATES }, user: text, messageId: text, limit: count },
} as const;
const erasuresQuery = { type: 'object', properties: { beforeId: count, limit: count } } as const;
const userParams = { type: 'object', required: ['userKey'], properties: { userKey: text } } as const;
const reasonBody = { type: 'object', properties: { reason: { type: 'string' } } } as const;
const retryBody = { type: 'object', properties: { destination: text, ids: { type: 'array', items: { type: 'integer' } }, includeAborted: { type: 'boolean' } } } as const;
const abortBody = { type: 'object', required: ['ids'], properties: { ids: { type: 'array', items: { type: 'integer' } }, reason: { type: 'string' } } } as const;

interface EventsQuery { source?: string; user?: string; messageId?: string; type?: string; since?: string; until?: string; afterSeq?: number; limit?: number; order?: 'asc' | 'desc' }
interface DeliveriesQuery { destination?: string; state?: DeliveryState; user?: string; messageId?: string; limit?: number }

/** One event's whole story: the event, its deliveries and every attempt (also the demo page's timeline). */
export async function eventStory(store: Store, messageId: string) {
  const [events, deliveries, attempts] = await Promise.all([store.events({ messageId, limit: 10 }), store.deliveries({ messageId }), store.deliveryLog(messageId)]);
  if (events.length === 0) throw httpError('not_found', `no event with messageId ${messageId}`);
  return { events, deliveries, attempts };
}

/**
 * The admin API: what happened to an event, per destination, and the levers (retry now, abort,
 * delete a user). It is registered on the operator listener only, whose guard decides who may
 * call it (src/server/http/operator-guard.ts).
 */
export function registerAdmin(app: FastifyInstance, deps: { store: Store; router: Router; config: Readonly<ServerConfig>; suppressed: Set<string>; replays: ReplayRunner }): void {
  const { store, router, config, suppressed } = deps;

  void app.register(async (admin) => {
    admin.addHook('preValidation', refuseNul);
    registerOperations(admin, deps);

    admin.get<{ Querystring: EventsQuery }>('/events', { schema: { querystring: eventsQuery } }, async (req) => {
      const q = req.query;
      return {
        events: await store.events({
          source: q.source, userKey: q.user, messageId: q.messageId, type: q.type, sinceMs: toMs(q.since), untilMs: toMs(q.until),
          afterSeq: q.afterSeq, limit: Math.min(q.limit ?? 100, 1000), newestFirst: q.order === 'desc',
        }),
      };
    });

    admin.get<{ Querystring: DeliveriesQuery }>('/deliveries', { schema: { querystring: deliveriesQuery } }, async (req) => {
      const q = req.query;
      return { deliveries: await store.deliveries({ destination: q.destination, state: q.state, userKey: q.user, messageId: q.messageId, limit: Math.min(q.limit ?? 100, 5000) }) };
    });

    admin.get('/events/:messageId', async (req) => eventStory(store, (req.params as { messageId: string }).messageId));

    admin.get('/destinations', async () => {
      const now = Date.now();
      return {
        destinations: await Promise.all(router.status().map(async (s) => ({ ...s, counts: await store.counts(s.name, now) }))),
      };
    });

    admin.post('/deliveries/retry', { schema: { body: retryBody } }, async (req) => {
      const body = req.body as { destination?: string; ids?: number[]; includeAborted?: boolean };
      const retried = await store.retryNow({ destination: body.destination, ids: body.ids, includeAborted: body.includeAborted === true }, Date.now());
      router.probeNow();
      return { ok: true, retried };
    });

    admin.post('/deliveries/abort', { schema: { body: abortBody } }, async (req) => {
      const body = req.body as { ids: number[]; reason?: string };
      return { ok: true, aborted: await store.abort(body.ids, `aborted by an operator${body.reason ? `: ${body.reason}` : ''}`, Date.now()) };
    });

    /** Stop collecting a user: their later events are refused at ingestion. */
    admin.post('/users/:userKey/suppress', { schema: { params: userParams, body: reasonBody } }, async (req) => {
      const { userKey } = req.params as { userKey: string };
      const body = req.body as { reason?: string };
      await store.suppress(userKey, body.reason ?? null, Date.now());
      suppressed.add(userKey);
      const receipt = { ok: true, userKey, suppressedAt: new Date().toISOString() };
      req.log.warn({ receipt }, 'user suppressed');
      return receipt;
    });

    admin.delete('/users/:userKey/suppress', { schema: { params: userParams } }, async (req) => {
      const { userKey } = req.params as { userKey: string };
      suppressed.delete(userKey);
      return { ok: true, userKey, wasSuppressed: await store.unsuppress(userKey) };
    });

    // An erasure the last run could not finish (its archives) is finished before serving.
    try {
      const resumed = await resumeErasures(store, config);
      if (resumed > 0) admin.log.warn({ resumed }, 'finished pending erasures');
    } catch (err) {
      admin.log.error({ err }, 'pending erasures could not be finished; the next erasure retries');
    }

    /**
     * GDPR/CCPA erasure (G11): the user's whole identity graph — events, deliveries, attempts,
     * links, file archives — with a receipt and an audit row; `?suppress=true` also refuses
     * their future events.
     */
    admin.delete('/users/:userKey', { schema: { params: userParams, querystring: { type: 'object', properties: { suppress: { type: 'boolean' } } } } }, async (req) => {
      const { userKey } = req.params as { userKey: string };
      const suppress = (req.query as { suppress?: boolean }).suppress === true;
      if (suppress) {
        await store.suppress(userKey, 'erased', Date.now());
        suppressed.add(userKey);
      }
      const at = Date.now();
      // The guard admitted the caller by the token when one is configured, else as loopback.
      const removed = await eraseUser(store, config, { userKey, suppress, at, by: config.admin.token ? 'token' : 'loopback', address: req.ip ?? null });
      const receipt = { ok: true, userKey, deletedAt: new Date(at).toISOString(), suppressed: suppress, ...removed };
      req.log.warn({ receipt }, 'user deleted');
      return receipt;
    });

    /** The audit log of erasures, newest first: who, when, what was asked, counts per kind. */
    admin.get<{ Querystring: { beforeId?: number; limit?: number } }>('/erasures', { schema: { querystring: erasuresQuery } }, async (req) => {
      const q = req.query;
      return { erasures: await store.erasures({ beforeId: q.beforeId, limit: Math.min(q.limit ?? 100, 1000) }) };
    });
  }, { prefix: '/admin' });
}
