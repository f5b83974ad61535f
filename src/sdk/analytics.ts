import type { EventType, FerryEvent } from '../protocol/events.js';
import { FerryError, type ErrorCode } from '../protocol/errors.js';
import { MAX_EVENT_BYTES } from '../protocol/limits.js';
import { isPlainObject } from '../protocol/json.js';
import { createCompressor, utf8Length, type GzipLoader } from './compress.js';
import { CONSENT_KEY, consentAtLoad, decide, storedConsent, type Consent, type ConsentUpdate } from './consent.js';
import { debugLog, type DebugLog } from './debug.js';
import { Emitter, type EventName, type Listener } from './emitter.js';
import { buildEvent, currentContext, eventJson, readStaticContext, type CallOptions } from './event-builder.js';
import { Flusher, isOffline, type BackoffState, type FlushResult } from './flusher.js';
import { createIdentity, type Identity, type UserState } from './identity.js';
import { whenIdle } from './idle.js';
import { createFlushLock, type FlushLock } from './lock.js';
import { openStore, type KvLoader } from './open-store.js';
import { resolveOptions, type LoadOptions, type ResolvedOptions } from './options.js';
import type { NewRecord, QueueStore, StoreKind } from './queue-store.js';
import { WriteQueue } from './queue.js';
import { endSession, sessionContext, startSession } from './session.js';

export type Properties = Record<string, unknown>;
export type Traits = Record<string, unknown>;

/** A call recorded before load() (or by the <script> snippet's stub): method, arguments, epoch ms. */
export type RecordedCall = [method: string, args: unknown[], timestampMs?: number];

export interface SdkState {
  storage: StoreKind | 'none';
  /** Events in the shared queue (all tabs of this origin and write key). */
  queued: number;
  /** Calls made but not yet written to storage. */
  buffered: number;
  /** Events of the batch this tab has on the wire. */
  inFlight: number;
  backoff: BackoffState;
  online: boolean;
  /** This tab is the one sending for the origin right now. */
  flushing: boolean;
  /** Some tab (maybe this one) is sending for the origin right now. */
  anyTabFlushing: boolean;
  lock: FlushLock['kind'] | 'none';
}

/** The methods that record themselves before load() and never throw into the page (wrapped in the constructor). */
const GUARDED = ['track', 'page', 'screen', 'identify', 'group', 'alias', 'reset', 'consent', 'setAnonymousId', 'startSession', 'endSession'] as const;

const REPLAYABLE: readonly string[] = [...GUARDED, 'on', 'flush'];

function required(method: string, what: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new FerryError('invalid_call', `${method}(): ${what} must be a non-empty string`);
}

/** An id: a non-empty string, or a number sent as a string (as analytics.js does). */
function idOf(method: string, what: string, value: unknown): string {
  const id = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  required(method, what, id);
  return id as string;
}

/**
 * The public SDK. Every method returns at once and never throws into the page (G1): a
 * mistake becomes an `error` event. Nothing touches storage, timers or globals before load().
 */
export class Analytics {
  #options: ResolvedOptions | undefined;
  readonly #emitter = new Emitter();
  #identity: Identity | undefined;
  private queue: WriteQueue | undefined;
  #flusher: Flusher | undefined;
  private store: QueueStore | undefined;
  #flushLock: FlushLock | undefined;
  #readyPromise: Promise<void> | undefined;
  #preload: RecordedCall[] = [];
  /** Set while replaying recorded calls, so their events keep the time they were made. */
  #callTimeMs: number | undefined;
  #detach: Array<() => void> = [];
  #closed = false;
  #consent: Consent = { state: 'granted' };
  /** Events made while consent is pending, kept in memory only (persistWhilePending: false). */
  #held: Array<Omit<NewRecord, 'id'>> = [];
  #log: DebugLog | undefined;

  readonly #gzipFallback: GzipLoader | undefined;

  constructor(gzipFallback?: GzipLoader, private readonly loadKv?: KvLoader) {
    this.#gzipFallback = gzipFallback;
    // Each guarded method, wrapped once per instance (a static block would need Safari 16.4,
    // where the rest of the SDK runs on Safari 15): before load() the call is recorded (replayed
    // by load() with its time), after it a throw becomes an `error` event (G1).
    const self = this as unknown as Record<string, (...args: unknown[]) => void>;
    for (const method of GUARDED) {
      const fn = self[method]!;
      self[method] = (...args) => {
        try {
          if (this.#options) fn.apply(this, args);
          else this.#preload.push([method, args, this.#callTimeMs ?? Date.now()]);
        } catch (err) {
          this.#emitError(err);
        }
      };
    }
  }

  /**
   * Resolves the options, opens the queue and starts sending. Throws a FerryError for bad
   * options (a developer mistake worth a loud failure); everything after that is silent.
   */
  load(userOptions: LoadOptions): Promise<void> {
    if (this.#readyPromise) return this.#readyPromise;
    const options = resolveOptions(userOptions);
    this.#consent = consentAtLoad(options.consent, options.gpc);
    this.#options = options;
    this.#log = debugLog(options.debug);
    this.#identity = createIdentity(options.cookie, options.cookieDomain);
    /** Events written since the last send was asked for. */
    let unsent = 0;
    this.queue = new WriteQueue(
      () => options.maxQueueEvents,
      (count, evicted, overQuota) => {
        for (const [reason, gone] of [['queue_full', evicted], ['quota', overQuota]] as const) {
          if (!gone.length) continue;
          this.#emitter.emit('dropped', { reason, count: gone.length, messageIds: gone.map((e) => e.messageId) });
          this.#flusher?.announce(gone.map((e) => e.id));
        }
        // flushAt events written: send now (and count again from 0); fewer: within flushIntervalMs.
        this.#flusher?.schedule((unsent += count) < options.flushAt ? options.flushIntervalMs : (unsent = 0));
      },
      (err, lost) => this.#emitError(new FerryError('storage_failed', `could not queue ${lost.length} event(s): ${String(err)}`, { cause: err })),
    );
    this.replay(this.#preload.splice(0));
    return (this.#readyPromise = this.#open(options));
  }

  async #open(options: ResolvedOptions): Promise<void> {
    // openStore may decide before its first await, inside load(): a microtask later, so that a
    // listener registered right after load() (the snippet's order) hears it.
    const store = await openStore(options.writeKey, options.storage, (info) => queueMicrotask(() => this.#emitter.emit('storage-fallback', info)), this.loadKv);
    if (this.#closed) return store.close();
    this.store = store;
    this.#flushLock = createFlushLock(options.writeKey);
    this.#flusher = new Flusher({
      store,
      options,
      emitter: this.#emitter,
      lock: this.#flushLock,
      compress: createCompressor(this.#gzipFallback),
      queue: this.queue!,
      // The latest decision of any tab, else this tab's (storage unusable).
      consented: () => (storedConsent() ?? this.#consent).state === 'granted',
      log: this.#log,
    });
    this.queue!.attach(store);
    // The page's signals: leaving (flush what is due), back online, another tab's storage.
    const win = globalThis as unknown as Partial<Window>;
    const doc = (globalThis as { document?: Document }).document;
    const add = (target: EventTarget | undefined, type: string, fn: (e: Event) => void) => {
      target?.addEventListener?.(type, fn);
      this.#detach.push(() => target?.removeEventListener?.(type, fn));
    };
    const exit = () => this.#flusher?.flushOnExit();
    // Never `unload`: it breaks the back/forward cache and does not fire on mobile.
    add(doc, 'visibilitychange', () => doc!.visibilityState === 'hidden' && exit());
    add(win as EventTarget, 'pagehide', exit);
    add(win as EventTarget, 'online', () => this.#flusher?.flush(false));
    // identify() or reset() in another tab: this tab's next event carries the same user.
    add(win as EventTarget, 'storage', (e) => {
      const key = (e as StorageEvent).key;
      this.#identity!.changed(key);
      // Another tab decided: the latest decision wins here too.
      const decided = key === CONSENT_KEY && storedConsent();
      if (decided) this.#apply(decided);
    });
    // The first reads of the time zone (ICU), localStorage and cookies cost milliseconds: paid
    // while the page is idle rather than by its first call, when that comes later.
    whenIdle(() => {
      readStaticContext();
      this.#identity?.get();
    });
    await this.#flusher.start();
    if (this.#consent.state === 'denied') await this.#purge();
  }


  on<K extends EventName>(name: K, listener: Listener<K>): () => void {
    return this.#emitter.on(name, listener);
  }

  track(event: string, properties?: Properties, options?: CallOptions): void {
    required('track', 'event', event);
    this.#enqueue('track', { event, properties: isPlainObject(properties) ? properties : {} }, options);
  }

  /** page([category], [name], [properties], [options]) as in analytics.js. */
  page(...a: unknown[]): void {
    // Two leading strings are the category and the name; one (or null) is the name.
    const category = typeof a[0] === 'string' && typeof a[1] === 'string' ? (a.shift() as string) : undefined;
    const name = typeof a[0] === 'string' || a[0] === null ? (a.shift() as string | null) : undefined;
    const properties = isPlainObject(a[0]) ? (a.shift() as Properties) : {};
    const options = isPlainObject(a[0]) ? (a[0] as CallOptions) : undefined;
    const named = { ...(name && { name }), ...(category && { category }) };
    this.#enqueue('page', { ...named, properties: { ...currentContext().page, ...properties, ...named } }, options);
  }

  screen(name?: string, properties?: Properties, options?: CallOptions): void {
    this.#enqueue('screen', { ...(typeof name === 'string' && name && { name }), properties: isPlainObject(properties) ? properties : {} }, options);
  }

  /** identify([userId], [traits], [options]): a new userId starts fresh traits; traits persist. */
  identify(userIdOrTraits?: string | number | null | Traits, traitsOrOptions?: Traits | CallOptions, maybeOptions?: CallOptions): void {
    // identify(traits, [options]) is identify(no userId, traits, [options]).
    const [userId, traits, options] = isPlainObject(userIdOrTraits) ? [null, userIdOrTraits, traitsOrOptions as CallOptions] : [userIdOrTraits, traitsOrOptions, maybeOptions];
    const state = this.#identity!.identify(userId == null ? undefined : idOf('identify', 'userId', userId), traits);
    this.#enqueue('identify', { traits: { ...state.traits } }, options);
  }

  group(groupId: string | number, traits?: Traits, options?: CallOptions): void {
    this.#enqueue('group', { groupId: idOf('group', 'groupId', groupId), traits: isPlainObject(traits) ? traits : {} }, options);
  }

  /** alias(userId, [previousId]): previousId defaults to the current userId, else anonymousId. */
  alias(userId: string | number, previousId?: string | number, options?: CallOptions): void {
    const state = this.#identity!.get();
    const prev = typeof previousId === 'number' || (typeof previousId === 'string' && previousId) ? idOf('alias', 'previousId', previousId) : (state.userId ?? state.anonymousId);
    this.#enqueue('alias', { previousId: prev, userId: idOf('alias', 'userId', userId) }, options);
  }

  /** Forgets the user: new anonymousId, no userId, no traits. Queued events are kept. */
  reset(): void {
    this.#identity!.reset();
  }

  /**
   * The visitor's consent decision: 'granted' sends what is queued, in order; 'denied' deletes
   * the queue (each event reported as `dropped`, reason `consent_denied`) and stores or sends
   * nothing until granted; 'pending' queues without sending. `{ categories }` grants when any
   * category is true and travels in `context.consent.categoryPreferences`. Stored for every tab
   * of the origin: the latest decision wins.
   */
  consent(update: ConsentUpdate): void {
    this.#apply(decide(update));
  }

  #apply(consent: Consent): void {
    this.#consent = consent;
    this.#log?.('consent', consent);
    if (consent.state === 'pending') return;
    const held = this.#held.splice(0);
    if (consent.state === 'denied') {
      if (held.length) this.#emitter.emit('dropped', { reason: 'consent_denied', count: held.length, messageIds: held.map((r) => r.messageId) });
      void this.#purge();
    } else {
      for (const r of held) this.queue!.push(r);
      this.#flusher?.schedule(0);
    }
  }

  /**
   * Once what this tab has buffered is written, the shared queue is emptied. Before the store
   * is open there is no flusher yet: the end of #open purges then.
   */
  async #purge(): Promise<void> {
    await this.queue!.settled();
    await this.#flusher?.purge().catch((err: unknown) => this.#emitError(err));
  }

  /** Names the visitor: this anonymousId is kept (and shared with the other tabs) until reset(). */
  setAnonymousId(anonymousId: string): void {
    required('setAnonymousId', 'anonymousId', anonymousId);
    this.#identity!.setAnonymousId(anonymousId);
  }

  /** Starts a new session now, for every tab of the origin: the next event carries sessionStart. */
  startSession(): void {
    startSession();
  }

  /** Ends the current session; a new one starts with the next event. */
  endSession(): void {
    endSession();
  }

  /** The current identity; before load() the ids are not known yet. */
  user(): Readonly<UserState> {
    const s = this.#identity?.get() ?? { anonymousId: '', userId: null, traits: {} };
    return { ...s, traits: { ...s.traits } };
  }

  /** Settles when the queue is empty (ok) or the attempt failed (ok: false, with the reason). */
  async flush(): Promise<FlushResult> {
    if (!this.#readyPromise) return { ok: false, sent: 0, remaining: 0, reason: 'failed' };
    await this.#readyPromise;
    await this.queue!.settled();
    return this.#flusher!.flush(true);
  }

  /** What the SDK is doing right now: for dashboards, tests and the demo page. */
  async state(): Promise<SdkState> {
    return {
      storage: this.store?.kind ?? 'none',
      queued: (await this.store?.count()) ?? 0,
      buffered: this.queue?.pendingWrites() ?? this.#preload.length,
      inFlight: 0,
      backoff: { attempt: 0, nextAttemptAt: 0, status: 0 },
      flushing: false,
      ...this.#flusher?.status(),
      online: !isOffline(),
      anyTabFlushing: !!(await this.#flushLock?.held()),
      lock: this.#flushLock?.kind ?? 'none',
    };
  }

  /** Stops timers and listeners; queued events stay in storage for the next page. */
  close(): void {
    this.#closed = true;
    this.#flusher?.stop();
    for (const d of this.#detach.splice(0)) d();
    this.store?.close();
  }

  /** Replays calls recorded before the SDK was ready, in order, with their original times. */
  replay(calls: RecordedCall[]): void {
    for (const [method, args, ts] of calls) {
      if (!REPLAYABLE.includes(method)) continue;
      this.#callTimeMs = typeof ts === 'number' ? ts : undefined;
      try {
        (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
      } finally {
        this.#callTimeMs = undefined;
      }
    }
  }

  #emitError(err: unknown): void {
    const error = err instanceof FerryError ? err : new FerryError('invalid_call', String(err), { cause: err });
    this.#emitter.emit('error', error);
  }

  #enqueue(type: EventType, fields: Partial<FerryEvent>, options: CallOptions | undefined): void {
    const { state, categories } = this.#consent;
    if (state === 'denied') return this.#emitter.emit('dropped', { reason: 'consent_denied', count: 1, messageIds: [] });
    if (categories) options = { ...options, context: { consent: { categoryPreferences: categories }, ...options?.context } };
    const now = this.#callTimeMs ?? Date.now();
    const middleware = this.#options!.middleware;
    const session = sessionContext(now, this.#options!.sessionTimeoutMs);
    // The common case (no middleware, no per-call context) shares the task's serialized context.
    const shared = !middleware.length && !options?.context;
    let event: Record<string, unknown> | null = buildEvent(type, fields, this.#identity!.get(), options, now);
    if (!shared) event.context = { ...currentContext(), ...session, ...options?.context };
    const built = event.messageId;
    for (const mw of middleware) {
      event = mw(event);
      if (event === null) return;
      if (!isPlainObject(event)) throw new FerryError('invalid_call', `${type}(): middleware returned ${typeof event}; not queued`);
    }
    // A middleware that rebuilt the event without its messageId gets the one it was given.
    if (typeof event.messageId !== 'string' || !event.messageId) event = { ...event, messageId: built };
    const messageId = String(event.messageId);
    let json = '';
    let problem: ErrorCode | undefined;
    let detail = `over ${MAX_EVENT_BYTES} bytes`;
    try {
      json = shared ? eventJson(event as FerryEvent, session) : JSON.stringify(event);
      // A UTF-8 byte is at least one UTF-16 unit and at most three: count exactly only in between.
      if (json.length * 3 > MAX_EVENT_BYTES && utf8Length(json) > MAX_EVENT_BYTES) problem = 'event_too_large';
    } catch (err) {
      problem = 'not_serializable';
      detail = String(err);
    }
    if (problem) {
      this.#emitter.emit('dropped', { reason: problem, count: 1, messageIds: messageId ? [messageId] : [] });
      throw new FerryError(problem, `${type}(): ${detail}; not queued`);
    }
    this.#log?.(type, json);
    const record = { json, messageId, enqueuedAt: Date.now() };
    if (state === 'pending' && !this.#options!.persistWhilePending) this.#held.push(record);
    else this.queue!.push(record);
  }
}
