import type { EventContext, EventType, FerryEvent } from '../protocol/events.js';
import { uuidv4 } from '../protocol/uuid.js';
import { attempt } from './cookies.js';
import { LIBRARY_NAME, VERSION } from './version.js';

export interface CallOptions {
  /** When the event happened; defaults to now. */
  timestamp?: Date | string | number;
  /** Merged over the automatic context. */
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  /** Overrides for this one event. */
  anonymousId?: string;
  userId?: string;
  messageId?: string;
}

export interface IdentitySnapshot {
  anonymousId: string;
  userId: string | null;
}

/** The parts of the context that cannot change during a page's life, read once. */
let staticContext: Omit<EventContext, 'page'> | undefined;

/**
 * The context that never changes, read once; analytics.ts also calls this ahead of the first
 * event, while the page is idle. A renderer's first Intl call (the time zone) loads ICU:
 * 60–300 ms in headless Chromium on the 2-core machine, which the page's first track() (often
 * inside a click handler) would otherwise pay.
 */
export function readStaticContext(): Omit<EventContext, 'page'> {
  if (staticContext) return staticContext;
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  const scr = (globalThis as { screen?: Screen }).screen;
  const dpr = (globalThis as { devicePixelRatio?: number }).devicePixelRatio;
  // What the browser does not tell is left out: JSON drops the undefined keys (and Intl
  // without time zone data throws).
  return (staticContext = {
    library: { name: LIBRARY_NAME, version: VERSION },
    userAgent: nav?.userAgent || undefined,
    locale: nav?.language || undefined,
    screen: scr && { width: scr.width, height: scr.height, ...(dpr && { density: dpr }) },
    timezone: attempt(() => Intl.DateTimeFormat().resolvedOptions().timeZone) || undefined,
  });
}

/**
 * The page changes in single-page apps, so it is read again in every task — but only once per
 * task: a burst of calls shares one read of the DOM.
 */
let taskContext: EventContext | undefined;
let taskContextJson: string | undefined;
/** The per-event part (the session) that taskContextJson was serialized with. */
let taskExtra: object | undefined;

function pageContext(): EventContext['page'] | undefined {
  const loc = (globalThis as { location?: Location }).location;
  const doc = (globalThis as { document?: Document }).document;
  if (!loc) return undefined;
  // The page's own name for itself where it has one (as analytics.js reads it), with this
  // visit's query when it names none: one URL for the page's many addresses.
  const url = attempt(() => new URL(doc!.querySelector<HTMLLinkElement>('link[rel=canonical]')!.href)) ?? loc;
  return { path: url.pathname, referrer: doc?.referrer ?? '', search: loc.search, title: doc?.title ?? '', url: url === loc || url.search ? url.href : url.href + loc.search };
}

/** The automatic context as this task sees it (page() copies its page into its properties). */
export function currentContext(): EventContext {
  if (!taskContext) {
    const page = pageContext();
    taskContext = { ...readStaticContext(), ...(page && { page }) };
    queueMicrotask(() => (taskContext = taskContextJson = undefined));
  }
  return taskContext;
}

/**
 * Everything but the context; nothing here touches storage. An unparseable timestamp from the
 * page is replaced by the call time rather than failing the event.
 */
export function buildEvent(type: EventType, fields: Partial<FerryEvent>, identity: IdentitySnapshot, options: CallOptions | undefined, nowMs: number): FerryEvent {
  const event: FerryEvent = {
    type,
    messageId: options?.messageId ?? uuidv4(),
    anonymousId: options?.anonymousId ?? identity.anonymousId,
    ...fields,
    originalTimestamp: attempt(() => new Date(options?.timestamp ?? nowMs).toISOString()) ?? new Date(nowMs).toISOString(),
  };
  const userId = options?.userId ?? identity.userId;
  if (userId != null && event.userId === undefined) event.userId = userId;
  if (options?.integrations) event.integrations = options.integrations;
  return event;
}

/**
 * The event (without a context of its own) as JSON text, for the common case (no per-call
 * context, no middleware): the automatic context and `extra` are serialized once per task and
 * appended, so a call serializes only its own fields.
 */
export function eventJson(event: FerryEvent, extra: object): string {
  const context = currentContext();
  // The session part is one object per task, but for the event that starts a session.
  if (!taskContextJson || extra !== taskExtra) taskContextJson = JSON.stringify({ ...context, ...(taskExtra = extra) });
  return `${JSON.stringify(event).slice(0, -1)},"context":${taskContextJson}}`;
}
