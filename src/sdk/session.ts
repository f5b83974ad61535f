import { arrival, type Arrival } from './campaign.js';
import { attempt, getLocalJson, setLocal } from './cookies.js';

/**
 * Sessions: `context.sessionId` (the session's start, epoch ms, as Amplitude and RudderStack
 * send it), `context.sessionStart: true` on its first event, and how the visitor arrived
 * (campaign, referrer), kept for the whole session.
 *
 * One session per origin, whatever the number of tabs: its state lives in localStorage, read
 * and written once per task (a tab's event extends the session for the others too), or in this
 * page's memory where localStorage throws. Two tabs whose first events race (read, read, write,
 * write) may each start a session; the events after follow the last one written. Every event
 * counts, even one a middleware drops afterwards.
 */

export interface SessionContext extends Arrival {
  sessionId: number;
  sessionStart?: true;
}

/** What is stored: the context the next event carries (sessionStart until one has), and when the last event was. */
interface Stored extends SessionContext {
  at: number;
}

const KEY = 'ferry_session';
let memory: Stored | null = null;
/** The session as this task sees it: a burst of calls reads and writes storage once. */
let task: SessionContext | undefined;
/** This page's arrival (campaign, referrer) is taken once, by the first event of the page. */
let arrived = false;

function save(stored: Stored | null): void {
  memory = stored;
  task = undefined;
  setLocal(KEY, stored && JSON.stringify(stored));
}

function fresh(nowMs: number): Stored {
  return { sessionId: nowMs, sessionStart: true, at: nowMs };
}

/** The session context of an event made at `nowMs`; starts a session after `timeoutMs` without events. */
export function sessionContext(nowMs: number, timeoutMs: number): SessionContext {
  if (task) return task;
  const read = getLocalJson(KEY) as Stored | null | undefined;
  let stored = read === undefined ? memory : read;
  if (typeof stored?.sessionId !== 'number' || !(nowMs - stored.at <= timeoutMs)) stored = fresh(nowMs);
  if (!arrived) {
    arrived = true;
    // A landing with a campaign replaces the session's; a referrer only comes with a new session.
    Object.assign(stored, attempt(() => arrival(location, stored!.sessionStart ? document.referrer : '')));
  }
  const { at, sessionStart, ...context } = stored;
  save({ ...context, at: Math.max(at, nowMs) });
  task = context;
  queueMicrotask(() => (task = undefined));
  return sessionStart ? { ...context, sessionStart } : context;
}

/** startSession(): the next event opens a new session. */
export function startSession(): void {
  save(fresh(Date.now()));
}

/** endSession(): the session ends now; the next event starts one. */
export function endSession(): void {
  save(null);
}
