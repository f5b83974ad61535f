import type { Outcome } from './types.js';

/** What an attempt-log answer that may quote an erased user becomes (as scrub-attempt-responses.sql writes it). */
export const ERASED_RESPONSE = '[erased]';

/**
 * G11 for a request that was on the wire during an erasure: its settle finds the erased
 * deliveries' rows gone (`gone`), and the answer it logs for the other deliveries it carried may
 * quote the erased user (an endpoint echoing the batch). As the erasure's own scrub does, an
 * answer is one request's when it has the same time and text; each such excerpt becomes
 * ERASED_RESPONSE, status and outcome stay.
 */
export function withoutErasedEchoes(outcomes: Outcome[], gone: ReadonlySet<number>): Outcome[] {
  const echoes = new Set<string>();
  for (const o of outcomes) {
    if (!gone.has(o.id) || o.state === 'released' || !o.attempt || o.attempt.response === null) continue;
    echoes.add(requestOf(o.attempt.at, o.attempt.response));
  }
  if (echoes.size === 0) return outcomes;
  return outcomes.map((o) => {
    if (o.state === 'released' || !o.attempt || o.attempt.response === null) return o;
    if (!echoes.has(requestOf(o.attempt.at, o.attempt.response))) return o;
    return { ...o, attempt: { ...o.attempt, response: ERASED_RESPONSE } };
  });
}

function requestOf(at: number, response: string): string {
  return `${at}\u0000${response}`;
}
