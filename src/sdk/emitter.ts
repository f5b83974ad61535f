import type { FerryError } from '../protocol/errors.js';

export interface DroppedInfo {
  /** Why the events were dropped: queue_full, expired, rejected_by_server, not_serializable, event_too_large. */
  reason: string;
  /** How many events. */
  count: number;
  /** The messageIds when known. */
  messageIds: string[];
  /** Server's reason for a rejected event. */
  detail?: string;
}

export interface AnalyticsEvents {
  delivered: { count: number; messageIds: string[] };
  dropped: DroppedInfo;
  error: FerryError;
  'storage-fallback': { from: string; to: string; reason: string };
  /** Backoff state changes: attempt count and when the next send is due. */
  backoff: { attempt: number; nextAttemptAt: number; status: number };
}

export type EventName = keyof AnalyticsEvents;
export type Listener<K extends EventName> = (payload: AnalyticsEvents[K]) => void;

/** A tiny typed emitter; a throwing listener never breaks the SDK or the other listeners. */
export class Emitter {
  readonly #listeners: { [K in EventName]?: Array<Listener<K>> } = {};

  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    const list = (this.#listeners[name] ??= []) as Array<Listener<K>>;
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends EventName>(name: K, payload: AnalyticsEvents[K]): void {
    const list = this.#listeners[name] as Array<Listener<K>> | undefined;
    if (!list) return;
    for (const listener of list.slice()) {
      try {
        listener(payload);
      } catch {
        // A host page's listener must not break delivery.
      }
    }
  }
}
