import type { FerryEvent } from '../../protocol/events.js';

/** One event handed to a destination: the router's delivery id, and the stored event. */
export interface DeliveryItem {
  id: number;
  messageId: string;
  event: FerryEvent;
}

/**
 * What came back for one event, as plain facts. The plugin does not judge it: the router's
 * answer table (router/destination-answer.ts) decides between delivered, a failure of the
 * endpoint (retried) and a refusal of the content (isolated, then aborted).
 */
export type DestinationAnswer =
  /** An in-process destination (file, memory) kept the event. */
  | { kind: 'stored' }
  /**
   * An HTTP answer. `html`: the body is an HTML page, as a proxy's or web server's error page is;
   * it speaks of the endpoint whatever the status. `retryAfterMs`: its Retry-After, parsed.
   */
  | { kind: 'http'; status: number; html: boolean; retryAfterMs?: number }
  /** No answer: timeout, refused or reset connection, DNS failure, I/O error. */
  | { kind: 'no-answer' };

export interface SendResult {
  answer: DestinationAnswer;
  /** For the attempt log: why there was no answer, or a detail of the answer (a redirect's target). */
  error: string | null;
  /** An excerpt of the answer's body, for the attempt log. */
  response: string | null;
}

/**
 * A destination plugin. `send` gets events in delivery order and answers one result per event,
 * in the same order. `atomic` destinations treat a batch as one request (all results alike),
 * so a refused batch must be split by the router to find the bad event. `maxSendMs` bounds one
 * `send` (a webhook's timeout): the router starts a request only while its lease outlives that
 * bound. In-process plugins leave it unset and are covered by lease renewal while they run.
 * A non-atomic plugin
 * answers per event and must not accept a user's later event after failing an earlier one of
 * the same user retryably in the same call: the router records what the plugin says happened.
 */
export interface Destination {
  readonly name: string;
  readonly atomic: boolean;
  readonly maxSendMs?: number;
  send(items: DeliveryItem[]): Promise<SendResult[]>;
  close?(): Promise<void>;
}
