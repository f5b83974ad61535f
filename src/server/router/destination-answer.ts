import type { DestinationAnswer } from '../destinations/types.js';

/**
 * What an answer means for the events it answers: the destination-answer rule (DESIGN,
 * "Router"), as data. Pure: no clock, no state; the loop and the breaker act on its verdict.
 */
export type AnswerAction =
  /** The destination has the event: the delivery succeeds. */
  | 'delivered'
  /**
   * The answer speaks of the endpoint (where we send, with what credentials, whether it is up),
   * not of the events: they are kept and retried with backoff or Retry-After, the breaker counts
   * it, and it never aborts anything by itself (only `retry.maxAttempts` / `retry.windowMs` do).
   */
  | 'endpoint'
  /**
   * The answer speaks of the content: a batch is split until the refused event stands alone,
   * and only that event is aborted.
   */
  | 'content';

interface Rule {
  when: string;
  matches(answer: DestinationAnswer): boolean;
  action: AnswerAction;
}

/** Statuses an application gives to what was sent: malformed (400), too large (413), unprocessable (422). */
const CONTENT_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);

/** First match wins. README "Routing" shows this table to users: keep both in step. */
export const ANSWER_RULES: readonly Rule[] = Object.freeze([
  { when: 'an in-process destination kept it', matches: (a) => a.kind === 'stored', action: 'delivered' },
  { when: 'no answer: timeout, refused or reset connection, DNS, I/O error', matches: (a) => a.kind === 'no-answer', action: 'endpoint' },
  { when: '2xx', matches: (a) => a.kind === 'http' && a.status >= 200 && a.status < 300, action: 'delivered' },
  // A proxy's or web server's HTML error page is about the path to the application, even as a 400.
  { when: '400, 413, 422 from the application (not an HTML page)', matches: (a) => a.kind === 'http' && CONTENT_STATUSES.has(a.status) && !a.html, action: 'content' },
  // 401/403 (credentials), 404/405/410 (a wrong URL), 408/429 (pace), 5xx, redirects (not
  // followed: a POST must not turn into a GET), any other 4xx: we cannot tell the event is at
  // fault, so nothing is lost on its account.
  { when: 'everything else: 1xx, 3xx, 401, 403, 404, 405, 408, 410, 429, other 4xx, 5xx, HTML error pages', matches: () => true, action: 'endpoint' },
]);

export function answerAction(answer: DestinationAnswer): AnswerAction {
  return ANSWER_RULES.find((r) => r.matches(answer))!.action;
}
