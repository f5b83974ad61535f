import type { EventType, RejectedEvent } from '../../protocol/events.js';
import { FerryError, type ServerErrorCode } from '../../protocol/errors.js';
import { isPlainObject } from '../../protocol/json.js';
import { setContextIp, type IpPolicy } from './client-ip.js';
import type { IngestItem } from './ingester.js';
import { shapeProblem } from './shape.js';
import type { PlanCheck, PlanViolation } from './tracking-plan.js';
import { arrival, enrich, validateEvent } from './validate.js';

/** Added by enrichment (receivedAt, timestamp, sentAt...), not counted against the client's 32 KB. */
const ENRICH_SLACK_BYTES = 512;

export interface PrepareOptions {
  maxEventBytes: number;
  /** userIds / anonymousIds whose events are refused. */
  suppressed: ReadonlySet<string>;
  /** The source's tracking plan, if it has one. */
  plan?: PlanCheck;
  /** Told about an event that failed in an unforeseen way (it is rejected either way). */
  unexpected: (index: number, err: unknown) => void;
  /** The client's address as the HTTP layer sees it (trustProxy applied): `context.ip` where the event has none. */
  requestIp?: string;
  /** The source's `ip` option. */
  ip: IpPolicy;
}

/** What a batch carries besides its events; its context is already checked against the limits. */
export interface Envelope {
  sentAt?: unknown;
  context?: Record<string, unknown>;
}

type Outcome = { ok: true; item: IngestItem } | { ok: false; code: ServerErrorCode; reason: string; violation?: PlanViolation };

function prepareOne(raw: unknown, forced: EventType | undefined, envelope: Envelope, at: ReturnType<typeof arrival>, options: PrepareOptions): Outcome {
  // The shape first: everything after this may recurse (JSON.stringify does).
  const shape = shapeProblem(raw);
  if (shape) return { ok: false, ...shape };
  const v = validateEvent(raw, forced);
  if (!v.ok) return v;
  const { suppressed } = options;
  if (suppressed.size > 0 && (suppressed.has(String(v.event.userId)) || suppressed.has(String(v.event.anonymousId)))) {
    return { ok: false, code: 'suppressed', reason: 'the user is suppressed: their events are not collected' };
  }
  const violation = options.plan?.(v.event) ?? null;
  if (violation?.reject) return { ok: false, code: 'invalid_event', reason: `the tracking plan refuses it: ${violation.messages.join('; ')}`, violation };
  // In place, like validateEvent (the event is this request's own): a copy of each event made its
  // object a new shape that enrichment and JSON.stringify then paid for (measured: the copy was
  // the costliest step of preparing an event). The batch's context is copied into each event's.
  const event = v.event;
  const context: Record<string, unknown> = envelope.context ? { ...envelope.context, ...event.context } : (event.context ?? {});
  setContextIp(context, options.requestIp, options.ip);
  event.context = context;
  // Under a plan, context.violations is the server's word: a client's own is replaced or removed.
  if (options.plan && (violation || event.context.violations !== undefined)) {
    const { violations: _client, ...context } = event.context;
    event.context = violation ? { ...context, violations: violation.messages } : context;
  }
  const enriched = enrich(event, at);
  const json = JSON.stringify(enriched);
  const bytes = Buffer.byteLength(json);
  if (bytes > options.maxEventBytes + ENRICH_SLACK_BYTES) {
    return { ok: false, code: 'event_too_large', reason: `the event is ${bytes} bytes, over the ${options.maxEventBytes}-byte limit` };
  }
  return { ok: true, item: { event: enriched, userKey: v.userKey, body: json, ...(violation ? { violation } : {}) } };
}

/**
 * Validates and enriches each event on its own: whatever one event holds (any value, any depth,
 * dates that cannot be corrected, or a failure nobody foresaw) can only get that event listed in
 * `rejected`; its siblings are kept.
 */
export function prepareEvents(raws: unknown[], forced: EventType | undefined, envelope: Envelope, receivedAt: number, options: PrepareOptions) {
  const items: IngestItem[] = [];
  const rejected: RejectedEvent[] = [];
  /** The events the tracking plan refused (each is in `rejected` too). */
  const planRejections: PlanViolation[] = [];
  const at = arrival(receivedAt, envelope.sentAt);
  raws.forEach((raw, index) => {
    let outcome: Outcome;
    try {
      outcome = prepareOne(raw, forced, envelope, at, options);
    } catch (err) {
      if (err instanceof FerryError) outcome = { ok: false, code: err.code as ServerErrorCode, reason: err.message };
      else {
        options.unexpected(index, err);
        outcome = { ok: false, code: 'invalid_event', reason: `the event could not be processed (${(err as Error)?.message ?? String(err)})` };
      }
    }
    if (outcome.ok) items.push(outcome.item);
    else {
      rejected.push({ index, code: outcome.code, reason: outcome.reason });
      if (outcome.violation) planRejections.push(outcome.violation);
    }
  });
  return { items, rejected, planRejections };
}

/** The batch's own context, checked once: it is copied into every event. */
export function envelopeOf(batch: Record<string, unknown>, maxBatchBytes: number, events: number): Envelope {
  if (!isPlainObject(batch.context)) return { sentAt: batch.sentAt };
  const shape = shapeProblem(batch.context, 'the batch "context"');
  if (shape) throw new FerryError('invalid_body', shape.reason);
  // Repeated in each event, a large context would turn a 500 KB body into megabytes of work.
  const bytes = JSON.stringify(batch.context).length;
  if (bytes * events > 16 * maxBatchBytes) throw new FerryError('batch_too_large', `the batch "context" (${bytes} bytes) repeated in ${events} events is too much; send fewer events per batch`);
  return { sentAt: batch.sentAt, context: batch.context };
}
