import { httpError } from '../errors.js';

/** A query or body time: an ISO date or epoch milliseconds (checked by fastify's schema). */
export const timeSchema = { type: 'string', anyOf: [{ pattern: '^\\d+$' }, { format: 'date-time' }, { format: 'date' }] } as const;

/** Epoch milliseconds of a time that passed `timeSchema`. */
export const toMs = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : Date.parse(v));

/** [from, to) in epoch ms: `to` defaults to now, `from` to `defaultSpanMs` before `to`. */
export function window(from: string | undefined, to: string | undefined, now: number, defaultSpanMs: number): { fromMs: number; toMs: number } {
  const toMsValue = toMs(to) ?? now;
  const fromMs = toMs(from) ?? toMsValue - defaultSpanMs;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMsValue)) throw httpError('invalid_body', '"from" and "to" must be ISO dates or epoch milliseconds');
  if (fromMs >= toMsValue) throw httpError('invalid_body', `"from" (${new Date(fromMs).toISOString()}) must be before "to" (${new Date(toMsValue).toISOString()})`);
  return { fromMs, toMs: toMsValue };
}
