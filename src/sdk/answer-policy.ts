import { EVENT_REFUSAL_CODES } from '../protocol/errors.js';
import type { SendResult } from './transport.js';

/**
 * What the collector's answer to one batch means for its events (DESIGN G2):
 * - `ack`: accepted; delete them (those named in `rejected` are reported as dropped).
 * - `split`: the collector refused the content of this batch of several events: keep them and
 *   send the first half next, after the backoff, to find the refused one.
 * - `refuse`: the collector refused this one event by name: drop it and report it.
 * - `retry`: the answer says nothing about the events (404, an HTML page, 5xx, network error…):
 *   keep everything, back off, report.
 * - `pause`: the write key is refused: keep everything, wait the longest backoff, report.
 */
export type Verdict = 'ack' | 'split' | 'refuse' | 'retry' | 'pause';

/** A pure function of the answer; the first rule that holds decides. */
export function verdict({ status, opaque, response }: SendResult, batchSize: number): Verdict {
  // A 2xx accepts only with a JSON object (or nothing) for a body: a captive portal's or a
  // proxy's HTML page, or `{"ok":false}`, accepts nothing.
  if (status > 199 && status < 300 && !opaque && response?.ok !== false) return 'ack';
  if (status === 401 || status === 403) return 'pause';
  if ((status === 400 || status === 413) && response?.ok === false && EVENT_REFUSAL_CODES.includes(response.code as never)) return batchSize === 1 ? 'refuse' : 'split';
  // Anything else says nothing about the events.
  return 'retry';
}

/** The indexes a 2xx names in `rejected`, kept only when they point into the batch. */
export function rejectedIndexes(answer: SendResult, batchSize: number): Map<number, string> {
  const out = new Map<number, string>();
  const list = answer.response?.rejected;
  for (const r of Array.isArray(list) ? list : []) if (Number.isInteger(r?.index) && r.index >= 0 && r.index < batchSize) out.set(r.index, String(r.reason ?? r.code));
  return out;
}
