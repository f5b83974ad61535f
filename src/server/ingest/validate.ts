import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, type EventType, type FerryEvent } from '../../protocol/events.js';
import { FerryError, type ServerErrorCode } from '../../protocol/errors.js';
import { isPlainObject, jsonKind } from '../../protocol/json.js';

export type Validated =
  | { ok: true; event: FerryEvent; userKey: string }
  | { ok: false; code: ServerErrorCode; reason: string };

const OBJECT_FIELDS = ['properties', 'traits', 'context', 'integrations'] as const;
const TIME_FIELDS = ['timestamp', 'originalTimestamp', 'sentAt'] as const;
const MAX_ID_LENGTH = 256;

/** Ids may arrive as numbers from some server-side clients; they are stored as strings. */
function idOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * Ids and the event name are stored in text columns (or read out of the JSON by the store): a NUL
 * character, which PostgreSQL's text cannot hold, would fail the whole batch's transaction there.
 */
const nulIn = (s: string) => s.includes('\u0000');

function fail(reason: string, code: ServerErrorCode = 'invalid_event'): Validated {
  return { ok: false, code, reason };
}

/**
 * Checks one event against the Segment spec and normalises it (ids to strings, a messageId
 * where the client sent none, the endpoint's type). Every failure names the field. The event
 * object is the request's own (fresh from JSON.parse) and is normalised in place: copying
 * every event twice was a measurable share of ingestion.
 */
export function validateEvent(raw: unknown, forcedType?: EventType): Validated {
  if (!isPlainObject(raw)) return fail(`an event must be a JSON object, got ${jsonKind(raw)}`);
  const event = raw as FerryEvent;
  if (forcedType) event.type = forcedType;
  if (typeof event.type !== 'string' || !EVENT_TYPES.includes(event.type)) {
    return fail(`"type" must be one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(event.type) ?? 'nothing'}`);
  }
  if (event.messageId === undefined || event.messageId === null) event.messageId = `ferry-${randomUUID()}`;
  else if (typeof event.messageId !== 'string' || event.messageId === '' || event.messageId.length > MAX_ID_LENGTH) {
    return fail(`"messageId" must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  if (nulIn(event.messageId)) return fail('"messageId" must not contain a NUL character');
  for (const key of ['userId', 'anonymousId'] as const) {
    const v = event[key];
    if (v === undefined || v === null) continue;
    // RudderStack's browser SDK sends userId "" until identify(): an empty id is no id.
    if (v === '') {
      delete event[key];
      continue;
    }
    const id = idOf(v);
    if (id === undefined || id.length > MAX_ID_LENGTH) return fail(`"${key}" must be a non-empty string or a number`);
    if (nulIn(id)) return fail(`"${key}" must not contain a NUL character`);
    event[key] = id;
  }
  const userKey = event.userId ?? event.anonymousId;
  if (!userKey) return fail('either "userId" or "anonymousId" is required');
  switch (event.type) {
    case 'track':
      if (typeof event.event !== 'string' || event.event === '') return fail('a track event needs "event", a non-empty string');
      if (nulIn(event.event)) return fail('"event" must not contain a NUL character');
      break;
    case 'group': {
      const groupId = idOf(event.groupId);
      if (!groupId) return fail('a group event needs "groupId"');
      event.groupId = groupId;
      break;
    }
    case 'alias': {
      const previousId = idOf(event.previousId);
      if (!previousId || !event.userId) return fail('an alias event needs "userId" and "previousId"');
      if (nulIn(previousId)) return fail('"previousId" must not contain a NUL character');
      event.previousId = previousId;
      break;
    }
    default:
      break;
  }
  for (const key of OBJECT_FIELDS) {
    const v = event[key];
    if (v !== undefined && v !== null && !isPlainObject(v)) return fail(`"${key}" must be an object`);
  }
  for (const key of TIME_FIELDS) {
    const v = event[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) return fail(`"${key}" must be an ISO-8601 date string, got ${JSON.stringify(v)}`);
  }
  return { ok: true, event, userKey: String(userKey) };
}

/**
 * Adds receivedAt and corrects the client's clock: timestamp = receivedAt - (sentAt -
 * originalTimestamp). Without both client times, timestamp is the client's own or receivedAt.
 */
export interface Arrival {
  receivedAtMs: number;
  /** receivedAt as ISO text, formatted once per request. */
  receivedAt: string;
  /** The batch's sentAt and its parsed value, parsed once per request. */
  sentAt?: string;
  sentAtMs?: number;
}

export function arrival(receivedAtMs: number, sentAt: unknown): Arrival {
  const ms = typeof sentAt === 'string' ? Date.parse(sentAt) : NaN;
  return Number.isNaN(ms)
    ? { receivedAtMs, receivedAt: new Date(receivedAtMs).toISOString() }
    : { receivedAtMs, receivedAt: new Date(receivedAtMs).toISOString(), sentAt: sentAt as string, sentAtMs: ms };
}

/** The largest distance from 1970 a JavaScript Date can hold. */
const MAX_DATE_MS = 8.64e15;

/** In place, like validateEvent: the event belongs to this request. Throws an `invalid_event` FerryError when the clock cannot be corrected. */
export function enrich(event: FerryEvent, at: Arrival): FerryEvent {
  const { receivedAt, receivedAtMs } = at;
  const original = event.originalTimestamp ?? event.timestamp;
  const sentAt = event.sentAt ?? at.sentAt;
  const sentAtMs = event.sentAt === undefined ? at.sentAtMs : Date.parse(event.sentAt);
  const out = event;
  out.receivedAt = receivedAt;
  // `delete` only when needed: it turns the object into a slow dictionary for JSON.stringify.
  if (out.writeKey !== undefined) delete out.writeKey;
  if (original && sentAt && sentAtMs !== undefined && !Number.isNaN(sentAtMs)) {
    out.originalTimestamp = original;
    out.sentAt = sentAt;
    const corrected = receivedAtMs - (sentAtMs - Date.parse(original));
    // Both dates can be valid and still be too far apart for the result to be a date.
    if (!(Math.abs(corrected) <= MAX_DATE_MS)) {
      throw new FerryError('invalid_event', `"originalTimestamp" (${original}) and "sentAt" (${sentAt}) are too far apart to correct the clock`);
    }
    out.timestamp = new Date(corrected).toISOString();
  } else {
    out.timestamp = event.timestamp ?? original ?? receivedAt;
  }
  return out;
}
