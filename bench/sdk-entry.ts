// Bench-only bundle: the real SDK plus its event builder, so that track() can be compared
// with building the same event and nothing else.
import { Analytics } from '../src/sdk/analytics.js';
import { buildEvent as buildBare, currentContext, type CallOptions } from '../src/sdk/event-builder.js';
import { envelope } from '../src/sdk/flusher.js';
import type { EventType, FerryEvent } from '../src/protocol/events.js';

type Identity = Parameters<typeof buildBare>[2];

/**
 * The event track() sends, as an object: the SDK builds the fields and appends the task's
 * serialized context (event-builder's eventJson), so the bench adds the same context here,
 * with the session id a session's events carry.
 */
function buildEvent(type: EventType, fields: Partial<FerryEvent>, identity: Identity, options: CallOptions | undefined, nowMs: number): FerryEvent {
  return { ...buildBare(type, fields, identity, options, nowMs), context: { ...currentContext(), sessionId: nowMs } } as FerryEvent;
}

(globalThis as unknown as Record<string, unknown>).ferryBench = { Analytics, buildEvent, envelope };
