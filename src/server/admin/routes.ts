import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeliveryState, Store } from '../store/types.js';
import type { Router } from '../router/router.js';
import type { ServerConfig } from '../config.js';
import { httpError } from '../errors.js';
import { eraseUser, resumeErasures } from './erasure.js';

const STATES: DeliveryState[] = ['pending', 'failed', 'succeeded', 'aborted'];

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw httpError('invalid_body', `${name} must be a non-negative integer`);
  return n;
}

function time(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
  if (Number.isNaN(ms)) throw httpError('invalid_body', `${name} must be an ISO date or epoch milliseconds`);
  return ms;
}

/**
 * The admin API: what happened to an event, per destination, and the levers (retry now, abort,
 * delete a user). With an adminToken it needs `Authorization: Bearer <token>`; without one it
 * answers loopback clients only.
 */
export function registerAdmin(app: FastifyInstance, deps: { store: Store; router: Router; config: Readonly<ServerConfig>; suppressed: Set<string> }): void {
  const { store, router, config, suppressed } = deps;
  const guard = async (req: FastifyRequest) => {
    if (config.adminToken) {
      if (req.headers.authorization !== `Bearer ${config.adminToken}`) throw httpError('unauthorized', 'admin API: missing or wrong Bearer token');
    } else if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '')) {
      throw httpError('unauthorized', 'admin API: set adminToken to use it from another host');
    }
  };

  void app.register(async (admin) => {
    admin.addHook('onRequest', guard);
    admin.removeAllContentTypeParsers();
    admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (err) {
        done(httpError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`), undefined);
      }
    });

    admin.get('/events', async (req) => {
      const q = req.query as Record<string, string>;
      return {
        events: await store.events({
          source: str(q.source), userKey: str(q.user), messageId: str(q.messageId), type: str(q.type),
          sinceMs: time(q.since, 'since'), untilMs: time(q.until, 'until'), afterSeq: int(q.afterSeq, 'afterSeq'), limit: Math.min(int(q.limit, 'limit') ?? 100, 1000),
          newestFirst: q.order === 'desc',
        }),
      };
    });

    admin.get('/deliveries', async (req) => {
      const q = req.query as Record<string, string>;
      const state = str(q.state) as DeliveryState | undefined;
      if (state && !STATES.includes(state)) throw httpError('invalid_body', `state must be one of ${STATES.join(', ')}`);
      return { deliveries: await store.deliveries({ destination: str(q.destination), state, userKey: str(q.user), messageId: str(q.messageId), limit: Math.min(int(q.limit, 'limit') ?? 100, 5000) }) };
    });

    /** One event's whole story: the event, its deliveries and every attempt. */
    admin.get('/events/:messageId', async (req) => {
      const { messageId } = req.params as { messageId: string };
      const [events, deliveries, attempts] = await Promise.all([store.events({ messageId, limit: 10 }), store.deliveries({ messageId }), store.deliveryLog(messageId)]);
      if (events.length === 0) throw httpError('not_found', `no event with messageId ${messageId}`);
      return { events, deliveries, attempts };
    });

    admin.get('/destinations', async () => {
      const now = Date.now();
      return {
        destinations: await Promise.all(router.status().map(async (s) => ({ ...s, counts: await store.counts(s.name, now) }))),
      };
    });

    admin.post('/deliveries/retry', async (req) => {
      const body = (req.body ?? {}) as { destination?: string; ids?: number[]; includeAborted?: boolean };
      const retried = await store.retryNow({ destination: body.destination, ids: body.ids, includeAborted: body.includeAborted === true }, Date.now());
      router.probeNow();
      return { ok: true, retried };
    });

    admin.post('/deliveries/abort', async (req) => {
      const body = (req.body ?? {}) as { ids?: number[]; reason?: string };
      if (!Array.isArray(body.ids) || body.ids.some((i) => !Number.isInteger(i))) throw httpError('invalid_body', '"ids" must be an array of delivery ids');
      return { ok: true, aborted: await store.abort(body.ids, `aborted by an operator${body.reason ? `: ${body.reason}` : ''}`, Date.now()) };
    });

    /** Stop collecting a user: their later events are refused at ingestion. */
    admin.post('/users/:userKey/suppress', async (req) => {
      const { userKey } = req.params as { userKey: string };
      const body = (req.body ?? {}) as { reason?: string };
      await store.suppress(userKey, typeof body.reason === 'string' ? body.reason : null, Date.now());
      suppressed.add(userKey);
      const receipt = { ok: true, userKey, suppressedAt: new Date().toISOString() };
      req.log.warn({ receipt }, 'user suppressed');
      return receipt;
    });

    admin.delete('/users/:userKey/suppress', async (req) => {
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
    admin.delete('/users/:userKey', async (req) => {
      const { userKey } = req.params as { userKey: string };
      const suppress = (req.query as { suppress?: string }).suppress === 'true';
      if (suppress) {
        await store.suppress(userKey, 'erased', Date.now());
        suppressed.add(userKey);
      }
      const at = Date.now();
      // The guard admitted the caller by the token when one is configured, else as loopback.
      const removed = await eraseUser(store, config, { userKey, suppress, at, by: config.adminToken ? 'token' : 'loopback', address: req.ip ?? null });
      const receipt = { ok: true, userKey, deletedAt: new Date(at).toISOString(), suppressed: suppress, ...removed };
      req.log.warn({ receipt }, 'user deleted');
      return receipt;
    });

    /** The audit log of erasures, newest first: who, when, what was asked, counts per kind. */
    admin.get('/erasures', async (req) => {
      const q = req.query as Record<string, string>;
      return { erasures: await store.erasures({ beforeId: int(q.beforeId, 'beforeId'), limit: Math.min(int(q.limit, 'limit') ?? 100, 1000) }) };
    });
  }, { prefix: '/admin' });
}
