import { EVENT_REFUSAL_CODES } from '../protocol/errors.js';
import type { SendResult } from './transport.js';

/**
 * What the collector's answer to one batch means for its events (DESIGN G2), as data:
 * - `ack`: accepted; delete them (those named in `rejected` are reported as dropped).
 * - `split`: the collector refused the content of this batch of several events: keep them and
 *   send the first half next, after the backoff, to find the refused one.
 * - `refuse`: the collector refused this one event by name: drop it and report it.
 * - `retry`: the answer says nothing about the events (404, an HTML page, 5xx, network error…):
 *   keep everything, back off, report.
 * - `pause`: the write key is refused: keep everything, wait the longest backoff, report.
 */
export type Verdict = 'ack' | 'split' | 'refuse' | 'retry' | 'pause';

const is2xx = (a: SendResult) => a.status > 199 && a.status < 300;
const refusesContent = (a: SendResult) =>
  (a.status === 400 || a.status === 413) && a.response?.ok === false && EVENT_REFUSAL_CODES.includes(a.response.code as never);

/** Rows are tried in order; the first whose test holds decides; nothing matched means `retry`. */
const TABLE: ReadonlyArray<[test: (a: SendResult, single: boolean) => boolean, verdict: Verdict]> = [
  // A 2xx accepts only with a JSON object (or nothing) for a body: a captive portal's or a
  // proxy's HTML page, or `{"ok":false}`, accepts nothing.
  [(a) => is2xx(a) && !a.opaque && a.response?.ok !== false, 'ack'],
  [(a) => a.status === 401 || a.status === 403, 'pause'],
  [(a, single) => single && refusesContent(a), 'refuse'],
  [refusesContent, 'split'],
];

export function verdict(answer: SendResult, batchSize: number): Verdict {
  return TABLE.find(([test]) => test(answer, batchSize === 1))?.[1] ?? 'retry';
}

/** The indexes a 2xx names in `rejected`, kept only when they point into the batch. */
export function rejectedIndexes(answer: SendResult, batchSize: number): Map<number, string> {
  const out = new Map<number, string>();
  const list = answer.response?.rejected;
  for (const r of Array.isArray(list) ? list : []) if (Number.isInteger(r?.index) && r.index >= 0 && r.index < batchSize) out.set(r.index, String(r.reason ?? r.code));
  return out;
}
