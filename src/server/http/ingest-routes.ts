import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { BatchResponse, EventType, RejectedEvent } from '../../protocol/events.js';
import { FerryError, type ServerErrorCode } from '../../protocol/errors.js';
import { MAX_BATCH_EVENTS } from '../../protocol/limits.js';
import { httpError } from '../errors.js';
import type { Ingester, IngestItem } from '../ingest/ingester.js';
import type { IpPolicy } from '../ingest/client-ip.js';
import { envelopeOf, prepareEvents, type PrepareOptions } from '../ingest/prepare.js';
import type { Metrics } from '../metrics.js';
import type { PlanCheck, PlanViolation } from '../ingest/tracking-plan.js';

const SINGLE_TYPES: EventType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

export interface IngestRoutesOptions {
  ingester: Ingester;
  metrics: Metrics;
  maxEventBytes: number;
  maxBatchBytes: number;
  /** userIds / anonymousIds whose events are refused (kept current by the admin API). */
  suppressed: ReadonlySet<string>;
  /** Tracking plans by source name. */
  plans: ReadonlyMap<string, PlanCheck>;
  /** Told of a request's violations: those flagged in stored events (not duplicates) and those rejected. */
  violations: (source: string, flagged: PlanViolation[], rejected: PlanViolation[]) => Promise<void>;
  /** Each source's `ip` option (`keep` when it has none). */
  ipPolicies: ReadonlyMap<string, IpPolicy>;
}

/** The Segment-compatible routes: `/batch` and one route per event type (and their short forms). */
export const ingestRoutes: FastifyPluginAsync<IngestRoutesOptions> = async (scope, { ingester, metrics, maxEventBytes, maxBatchBytes, suppressed, plans, violations, ipPolicies }) => {
  scope.addHook('onResponse', async (req, reply) => {
    if (req.method === 'POST') metrics.requests.inc({ status: String(reply.statusCode) });
  });

  const prepareOptions = (req: FastifyRequest): PrepareOptions => ({
    maxEventBytes,
    suppressed,
    plan: plans.get(req.source),
    unexpected: (index, err) => req.log.warn({ err, index }, 'an event failed unexpectedly; rejected alone'),
    requestIp: req.ip,
    ip: ipPolicies.get(req.source) ?? 'keep',
  });

  async function respond(reply: FastifyReply, source: string, items: IngestItem[], rejected: RejectedEvent[], planRejections: PlanViolation[], receivedAt: number): Promise<BatchResponse> {
    const seqs = await ingester.submit(source, items, receivedAt);
    const flagged = items.flatMap((it, i) => (it.violation && seqs[i] !== null ? [it.violation] : []));
    // Counted before the answer, so that a client that got it finds them in the report.
    if (flagged.length || planRejections.length) await violations(source, flagged, planRejections);
    const duplicates = seqs.filter((s) => s === null).length;
    metrics.commitSeconds.observe((Date.now() - receivedAt) / 1000);
    metrics.events.inc({ source, outcome: 'accepted' }, seqs.length - duplicates);
    if (duplicates) metrics.events.inc({ source, outcome: 'duplicate' }, duplicates);
    if (rejected.length) metrics.events.inc({ source, outcome: 'rejected' }, rejected.length);
    void reply.code(200);
    return { ok: true, accepted: seqs.length - duplicates, duplicates, rejected };
  }

  const batchHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const receivedAt = Date.now();
    const body = req.body as Record<string, unknown>;
    if (!Array.isArray(body.batch)) throw httpError('invalid_body', '"batch" must be an array of events');
    if (body.batch.length === 0) throw httpError('empty_batch', '"batch" is empty');
    // Before any per-event work: each item could cost a line in `rejected`, and the answer must
    // stay bounded by the request, however well the body compressed.
    if (body.batch.length > MAX_BATCH_EVENTS) throw httpError('batch_too_many_events', `"batch" holds ${body.batch.length} items; at most ${MAX_BATCH_EVENTS} per batch`);
    const envelope = envelopeOf(body, maxBatchBytes, body.batch.length);
    const { items, rejected, planRejections } = prepareEvents(body.batch, undefined, envelope, receivedAt, prepareOptions(req));
    return respond(reply, req.source, items, rejected, planRejections, receivedAt);
  };
  // Segment's short paths (/v1/b, /v1/t, ...) are served by the same handlers.
  scope.post('/batch', batchHandler);
  scope.post('/b', batchHandler);

  for (const type of SINGLE_TYPES) {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const receivedAt = Date.now();
      const { items, rejected, planRejections } = prepareEvents([req.body], type, {}, receivedAt, prepareOptions(req));
      // Alone, the event's rejection is the request's answer, with the event's own code.
      if (rejected.length > 0) {
        if (planRejections.length) await violations(req.source, [], planRejections);
        throw new FerryError(rejected[0]!.code as ServerErrorCode, rejected[0]!.reason);
      }
      return respond(reply, req.source, items, rejected, planRejections, receivedAt);
    };
    scope.post(`/${type}`, handler);
    scope.post(`/${type[0]}`, handler);
  }
};
