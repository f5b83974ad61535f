import type { FerryEvent } from '../../protocol/events.js';

/** One event handed to a destination: the router's delivery id, and the stored event. */
export interface DeliveryItem {
  id: number;
  messageId: string;
  event: FerryEvent;
}

/**
 * The answer for one event. `retryable: false` means the destination refused this event for
 * what it is (4xx): retrying cannot help, so it is aborted. Anything else is retried.
 */
export type SendResult =
  | { ok: true; status: number | null; response: string | null }
  | { ok: false; retryable: boolean; status: number | null; error: string; response: string | null; retryAfterMs?: number };

/**
 * A destination plugin. `send` gets events in delivery order and answers one result per event,
 * in the same order. `atomic` destinations treat a batch as one request (all results alike),
 * so a refused batch must be split by the router to find the bad event. A non-atomic plugin
 * answers per event and must not accept a user's later event after failing an earlier one of
 * the same user retryably in the same call: the router records what the plugin says happened.
 */
export interface Destination {
  readonly name: string;
  readonly atomic: boolean;
  send(items: DeliveryItem[]): Promise<SendResult[]>;
  close?(): Promise<void>;
}
