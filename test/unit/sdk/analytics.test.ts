// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Analytics } from '../../../src/sdk/analytics.js';
import type { DroppedInfo } from '../../../src/sdk/emitter.js';
import { FerryError } from '../../../src/protocol/errors.js';
import { stubFetch, type Answer, type Responder } from '../../helpers/fetch-stub.js';

let stub: ReturnType<typeof stubFetch> | undefined;
const instances: Analytics[] = [];
let keyN = 0;

function make(respond: Responder = () => ({ status: 200 }), extra: Record<string, unknown> = {}) {
  stub = stubFetch(respond);
  const a = new Analytics();
  instances.push(a);
  const errors: FerryError[] = [];
  const dropped: DroppedInfo[] = [];
  a.on('error', (e) => errors.push(e));
  a.on('dropped', (d) => dropped.push(d));
  const loaded = a.load({ writeKey: `key${++keyN}`, endpoint: 'http://127.0.0.1:9', flushIntervalMs: 60_000, retry: { baseMs: 10, capMs: 50 }, ...extra });
  return { a, loaded, errors, dropped, requests: stub.requests };
}

beforeEach(() => {
  (globalThis as { indexedDB: IDBFactory }).indexedDB = new IDBFactory();
  localStorage.clear();
});

afterEach(() => {
  for (const a of instances.splice(0)) a.close();
  stub?.restore();
});

const names = (batch: Array<Record<string, unknown>>) => batch.map((e) => e.event ?? e.type);

describe('calls', () => {
  it('return at once and never throw, whatever the page passes', () => {
    const { a, errors } = make();
    const bad: unknown[] = [undefined, null, 42, {}, '', Symbol('x')];
    for (const v of bad) {
      expect(() => a.track(v as string)).not.toThrow();
      expect(() => a.group(v as string)).not.toThrow();
      expect(() => a.alias(v as string)).not.toThrow();
      expect(() => a.identify(v as string)).not.toThrow();
    }
    expect(errors.filter((e) => e.code === 'invalid_call').length).toBeGreaterThanOrEqual(15);
  });

  it('build complete Segment events with ids, timestamps and context', async () => {
    const { a, requests } = make();
    a.identify('u1', { plan: 'pro' });
    a.track('Signed Up', { source: 'ad' });
    a.page('Docs', 'Intro', { section: 2 });
    a.screen('Home');
    a.group('g1', { size: 3 });
    a.alias('u2');
    const result = await a.flush();
    expect(result).toMatchObject({ ok: true, remaining: 0 });
    const batch = requests.flatMap((r) => r.body.batch);
    expect(batch.map((e) => e.type)).toEqual(['identify', 'track', 'page', 'screen', 'group', 'alias']);
    const anon = a.user().anonymousId;
    for (const e of batch) {
      expect(e.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e.anonymousId).toBe(anon);
      expect(Date.parse(e.originalTimestamp as string)).not.toBeNaN();
      expect((e.context as { library: { name: string } }).library.name).toBe('ferry');
      expect((e.context as { page: { url: string } }).page.url).toBe(location.href);
    }
    expect(new Set(batch.map((e) => e.messageId)).size).toBe(6);
    expect(batch[0]).toMatchObject({ userId: 'u1', traits: { plan: 'pro' } });
    expect(batch[1]).toMatchObject({ event: 'Signed Up', properties: { source: 'ad' }, userId: 'u1' });
    expect(batch[2]).toMatchObject({ name: 'Intro', category: 'Docs', properties: { section: 2, name: 'Intro', path: location.pathname } });
    expect(batch[4]).toMatchObject({ groupId: 'g1', traits: { size: 3 } });
    expect(batch[5]).toMatchObject({ userId: 'u2', previousId: 'u1' });
    expect(requests[0]!.gzip).toBe(true);
    expect(requests[0]!.body.writeKey).toMatch(/^key/);
    expect(Date.parse(requests[0]!.body.sentAt)).not.toBeNaN();
  });

  it('rejects an event that cannot be serialized, and one over 32 KB, without queueing them', async () => {
    const { a, errors, dropped, requests } = make();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    a.track('cyclic', cyclic);
    a.track('big', { blob: 'x'.repeat(33 * 1024) });
    a.track('fine');
    expect(errors.map((e) => e.code)).toEqual(['not_serializable', 'event_too_large']);
    expect(dropped.map((d) => d.reason)).toEqual(['not_serializable', 'event_too_large']);
    await a.flush();
    expect(names(requests.flatMap((r) => r.body.batch))).toEqual(['fine']);
  });

  it('writes the calls of one task in one transaction', async () => {
    const { a, loaded } = make();
    await loaded;
    const store = (a as unknown as { store: { append: (...x: unknown[]) => Promise<unknown> } }).store;
    const original = store.append.bind(store);
    const sizes: number[] = [];
    store.append = (records: unknown, max: unknown) => {
      sizes.push((records as unknown[]).length);
      return original(records, max);
    };
    for (let i = 0; i < 50; i++) a.track(`e${i}`);
    await Promise.resolve();
    for (let i = 0; i < 7; i++) a.track(`f${i}`);
    await (a as unknown as { queue: { settled(): Promise<void> } }).queue.settled();
    expect(sizes).toEqual([50, 7]);
  });

  it('merges a per-call context over the automatic one, with the same result as the fast path otherwise', async () => {
    const { a, requests } = make();
    // The session's first event alone carries sessionStart.
    a.track('first');
    a.track('plain', { n: 1 });
    a.track('with context', { n: 2 }, { context: { campaign: { name: 'spring' } }, timestamp: '2026-01-02T03:04:05.000Z' });
    await a.flush();
    const [first, plain, withContext] = requests.flatMap((r) => r.body.batch) as Array<Record<string, Record<string, unknown>>>;
    expect(first!.context).toEqual({ ...plain!.context, sessionStart: true });
    expect(typeof plain!.context!.sessionId).toBe('number');
    expect(withContext!.context).toEqual({ ...plain!.context, campaign: { name: 'spring' } });
    expect(withContext!.originalTimestamp).toBe('2026-01-02T03:04:05.000Z');
    expect(Object.keys(plain!).sort()).toEqual(Object.keys(withContext!).sort());
  });

  it('runs middleware in order and lets it drop events', async () => {
    const { a, requests } = make(() => ({ status: 200 }), {
      middleware: [
        (e: Record<string, unknown>) => (e.event === 'secret' ? null : e),
        (e: Record<string, unknown>) => ({ ...e, properties: { ...(e.properties as object), stamped: true } }),
      ],
    });
    a.track('secret');
    a.track('public');
    await a.flush();
    const batch = requests.flatMap((r) => r.body.batch);
    expect(names(batch)).toEqual(['public']);
    expect(batch[0]!.properties).toEqual({ stamped: true });
  });
});

describe('sending', () => {
  it('sends FIFO in batches of flushAt, one request at a time, and empties the queue', async () => {
    const { a, requests } = make(() => ({ status: 200 }), { flushAt: 10 });
    for (let i = 0; i < 35; i++) a.track(`e${i}`);
    const result = await a.flush();
    expect(result).toMatchObject({ ok: true, remaining: 0 });
    expect(requests.map((r) => r.body.batch.length)).toEqual([10, 10, 10, 5]);
    expect(names(requests.flatMap((r) => r.body.batch))).toEqual(Array.from({ length: 35 }, (_, i) => `e${i}`));
    expect(stub!.inFlightMax()).toBe(1);
  });

  it('respects maxBatchBytes', async () => {
    const { a, requests } = make(() => ({ status: 200 }), { maxBatchBytes: 4000 });
    for (let i = 0; i < 10; i++) a.track(`e${i}`, { pad: 'p'.repeat(1000) });
    await a.flush();
    expect(requests.length).toBeGreaterThan(2);
    for (const r of requests) expect(JSON.stringify(r.body).length).toBeLessThanOrEqual(4000);
    expect(names(requests.flatMap((r) => r.body.batch))).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
  });

  it('keeps events on 503 and network errors, backs off, persists the backoff, then delivers in order', async () => {
    let fail = true;
    const { a, requests } = make((_, n) => (fail ? (n % 2 ? { status: 503, headers: { 'Retry-After': '30' } } : { status: 502 }) : { status: 200 }), {
      retry: { baseMs: 60_000, capMs: 60_000 },
    });
    for (let i = 0; i < 5; i++) a.track(`e${i}`);
    const first = await a.flush();
    expect(first).toMatchObject({ ok: false, sent: 0, remaining: 5, reason: 'failed' });
    const state = await a.state();
    expect(state.backoff.attempt).toBe(1);
    // Retry-After: 30 was honoured.
    expect(state.backoff.nextAttemptAt - Date.now()).toBeGreaterThan(25_000);
    expect(state.queued).toBe(5);
    const saved = await (a as unknown as { store: { getMeta(k: string): Promise<unknown> } }).store.getMeta('backoff');
    expect(saved).toMatchObject({ attempt: 1 });
    await a.flush();
    expect((await a.state()).backoff.attempt).toBe(2);
    fail = false;
    const last = await a.flush();
    expect(last).toMatchObject({ ok: true, sent: 5, remaining: 0 });
    expect(requests.length).toBe(3);
    expect((await a.state()).backoff).toMatchObject({ attempt: 0, nextAttemptAt: 0 });
    const ok = requests.at(-1)!;
    expect(names(ok.body.batch)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('reports events the server rejected inside a 200', async () => {
    const { a, dropped } = make((req) => ({
      status: 200,
      body: { ok: true, accepted: req.body.batch.length - 1, duplicates: 0, rejected: [{ index: 1, reason: 'bad type', code: 'invalid_event' }] },
    }));
    const delivered: number[] = [];
    a.on('delivered', (d) => delivered.push(d.count));
    a.track('a');
    a.track('b');
    a.track('c');
    await a.flush();
    expect(delivered).toEqual([2]);
    expect(dropped).toEqual([expect.objectContaining({ reason: 'rejected_by_server', count: 1, detail: 'bad type' })]);
  });

  it('pauses on 401, keeps everything and reports', async () => {
    const { a, errors } = make(() => ({ status: 401 }));
    a.track('x');
    const result = await a.flush();
    expect(result).toMatchObject({ ok: false, reason: 'unauthorized', remaining: 1 });
    expect(errors.map((e) => e.code)).toEqual(['unauthorized']);
  });

  it('evicts the oldest beyond maxQueueEvents and reports them', async () => {
    const { a, dropped, requests } = make(() => ({ status: 200 }), { maxQueueEvents: 5 });
    for (let i = 0; i < 8; i++) a.track(`e${i}`);
    await a.flush();
    expect(dropped).toEqual([expect.objectContaining({ reason: 'queue_full', count: 3 })]);
    expect(names(requests.flatMap((r) => r.body.batch))).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
  });

  it('evicts events older than maxEventAgeMs unsent and reports them', async () => {
    const { a, loaded, dropped, requests } = make(() => ({ status: 503 }), { maxEventAgeMs: 800, retry: { baseMs: 60_000, capMs: 60_000 } });
    // Loaded first: the 800 ms must not run out while the store opens.
    await loaded;
    await a.flush();
    await startTimerRan();
    a.track('old');
    await a.flush();
    await new Promise((r) => setTimeout(r, 900));
    stub!.restore();
    stub = stubFetch(() => ({ status: 200 }));
    const result = await a.flush();
    expect(result).toMatchObject({ ok: true, remaining: 0 });
    expect(dropped).toEqual([expect.objectContaining({ reason: 'expired', count: 1 })]);
    expect(stub.requests.length).toBe(0);
    expect(requests.length).toBe(1);
  });

  it('does not send while the browser is offline and resumes on `online`', async () => {
    const { a, requests } = make();
    const onLine = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(navigator), 'onLine');
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
    try {
      a.track('x');
      expect(await a.flush()).toMatchObject({ ok: false, reason: 'offline', remaining: 1 });
      expect(requests.length).toBe(0);
    } finally {
      delete (navigator as { onLine?: boolean }).onLine;
      if (onLine) Object.defineProperty(Object.getPrototypeOf(navigator), 'onLine', onLine);
    }
    window.dispatchEvent(new Event('online'));
    await expect.poll(() => requests.length).toBe(1);
  });
});

describe('identity across tabs', () => {
  it('picks up identify() and reset() made in another tab', async () => {
    const { a, loaded, requests } = make(() => ({ status: 200 }), { flushAt: 1000, cookie: false });
    await loaded;
    const other = new Analytics();
    instances.push(other);
    await other.load({ writeKey: 'other-tab', endpoint: 'http://127.0.0.1:9', flushIntervalMs: 60_000, cookie: false });
    a.track('before');
    // The other tab writes localStorage; the browser tells this tab with a `storage` event.
    const tellThisTab = (key: string | null) => window.dispatchEvent(new StorageEvent('storage', { key }));
    other.identify('u-77', { plan: 'team' });
    tellThisTab('ferry_uid');
    a.track('after identify');
    other.reset();
    tellThisTab('ferry_aid');
    a.track('after reset');
    await a.flush();
    const batch = requests.flatMap((r) => r.body.batch).filter((e) => e.type === 'track');
    expect(batch.map((e) => [e.event, e.userId ?? null])).toEqual([['before', null], ['after identify', 'u-77'], ['after reset', null]]);
    expect(batch[2]!.anonymousId).toBe(other.user().anonymousId);
    expect(batch[2]!.anonymousId).not.toBe(batch[0]!.anonymousId);
    expect(a.user()).toEqual(other.user());
  });
});

describe('middleware', () => {
  it('cannot make an event vanish by rebuilding it without its messageId, or by repeating one', async () => {
    const strip = (e: Record<string, unknown>) => {
      const { messageId: _, ...rest } = e;
      return rest;
    };
    const same = (e: Record<string, unknown>) => ({ ...e, messageId: 'the-same-for-all' });
    const { a, requests, dropped } = make(() => ({ status: 200 }), { middleware: [strip], flushAt: 20 });
    for (let i = 0; i < 50; i++) a.track(`s${i}`);
    expect(await a.flush()).toMatchObject({ ok: true, remaining: 0 });
    const batch = requests.flatMap((r) => r.body.batch);
    expect(names(batch)).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
    expect(new Set(batch.map((e) => e.messageId)).size).toBe(50);
    for (const e of batch) expect(e.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(dropped).toEqual([]);

    const second = make(() => ({ status: 200 }), { middleware: [same], flushAt: 20 });
    for (let i = 0; i < 30; i++) second.a.track(`r${i}`);
    expect(await second.a.flush()).toMatchObject({ ok: true, remaining: 0 });
    expect(names(second.requests.flatMap((r) => r.body.batch))).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`));
  });

  it('refuses with an error what a middleware turns into something that is not an event', async () => {
    const { a, requests, errors } = make(() => ({ status: 200 }), { middleware: [(e: Record<string, unknown>) => (e.event === 'odd' ? ('text' as unknown as Record<string, unknown>) : e)] });
    a.track('odd');
    a.track('fine');
    await a.flush();
    expect(names(requests.flatMap((r) => r.body.batch))).toEqual(['fine']);
    expect(errors.map((e) => e.code)).toEqual(['invalid_call']);
  });
});

/** load() schedules a first flush at 0 ms; let it run so that it cannot race what a test does next. */
const startTimerRan = () => new Promise((r) => setTimeout(r, 20));

const settledQueue = (a: Analytics) => (a as unknown as { queue: { settled(): Promise<void> } }).queue.settled();

function hide(): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  try {
    document.dispatchEvent(new Event('visibilitychange'));
  } finally {
    delete (document as { visibilityState?: string }).visibilityState;
  }
}

describe('page hide', () => {
  it('carries the batch still on the wire ahead of the newer events, so the server gets the tab\'s order', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const { a, loaded, requests } = make(async (_, n) => {
      if (n === 1) await held;
      return { status: 200 };
    }, { flushAt: 1000 });
    await loaded;
    await a.flush();
    await startTimerRan();
    for (let i = 0; i < 5; i++) a.track(`old${i}`);
    const first = a.flush();
    await expect.poll(() => requests.length).toBe(1);
    for (let i = 0; i < 3; i++) a.track(`new${i}`);
    await settledQueue(a);
    hide();
    await expect.poll(() => requests.length).toBe(2);
    expect(requests[1]!.keepalive).toBe(true);
    expect(names(requests[1]!.body.batch)).toEqual(['old0', 'old1', 'old2', 'old3', 'old4', 'new0', 'new1', 'new2']);
    release();
    await first;
    await a.flush();
    // Nothing newer went out while the page-hide request was on the wire, and nothing is left.
    expect(requests).toHaveLength(2);
    expect((await a.state()).queued).toBe(0);
  });

  it('costs no request on a hide with nothing new, and never re-sends what another tab delivered', async () => {
    const { a, loaded, requests } = make(() => ({ status: 200 }), { flushAt: 1000, writeKey: 'shared-key' });
    await loaded;
    await a.flush();
    await startTimerRan();
    for (let i = 0; i < 4; i++) a.track(`t${i}`);
    await settledQueue(a);
    hide();
    await expect.poll(() => requests.length).toBe(1);
    await expect.poll(async () => (await a.state()).queued).toBe(0);
    hide();
    hide();
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(1);
    // This tab tracks, the other tab's flusher delivers: this tab hears of it and stays quiet.
    const other = new Analytics();
    instances.push(other);
    await other.load({ writeKey: 'shared-key', endpoint: 'http://127.0.0.1:9', flushIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) a.track(`u${i}`);
    await settledQueue(a);
    await other.flush();
    expect((await other.state()).queued).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    hide();
    await new Promise((r) => setTimeout(r, 20));
    expect(requests.map((r) => names(r.body.batch))).toEqual([['t0', 't1', 't2', 't3'], ['u0', 'u1', 'u2']]);
  });

  it('settles its answer like any other: a named rejection is reported, a 503 backs off and keeps', async () => {
    let answer: Answer = { status: 200, body: { ok: true, accepted: 1, duplicates: 0, rejected: [{ index: 1, code: 'invalid_event', reason: 'no' }] } };
    const { a, loaded, requests, dropped, errors } = make(() => answer, { flushAt: 1000, retry: { baseMs: 10, capMs: 60_000 } });
    await loaded;
    await a.flush();
    await startTimerRan();
    a.track('p0');
    a.track('p1');
    await settledQueue(a);
    hide();
    await expect.poll(() => dropped.length).toBe(1);
    expect(dropped[0]).toMatchObject({ reason: 'rejected_by_server', detail: 'no', messageIds: [requests[0]!.body.batch[1]!.messageId] });
    expect((await a.state()).queued).toBe(0);
    answer = { status: 503, headers: { 'Retry-After': '30' } };
    a.track('p2');
    await settledQueue(a);
    hide();
    await expect.poll(() => errors.length).toBe(1);
    const state = await a.state();
    expect(state.queued).toBe(1);
    expect(state.backoff.nextAttemptAt - Date.now()).toBeGreaterThan(20_000);
    // The backoff holds the next page hide back too.
    a.track('p3');
    await settledQueue(a);
    hide();
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(2);
  });

  it('uses sendBeacon with the same text/plain body where fetch keepalive is missing', async () => {
    const { a, loaded, requests } = make(() => ({ status: 200 }), { flushAt: 1000 });
    await loaded;
    await a.flush();
    await startTimerRan();
    stub!.keepalive(false);
    a.track('b0');
    a.track('b1');
    await settledQueue(a);
    hide();
    await expect.poll(() => requests.length).toBe(1);
    expect(requests[0]!.beacon).toBe(true);
    expect(names(requests[0]!.body.batch)).toEqual(['b0', 'b1']);
    // No answer can be read from a beacon: the events stay queued until a flush is acknowledged.
    expect((await a.state()).queued).toBe(2);
  });

  it('hands unsent events to one keepalive request, even when visibilitychange and pagehide both fire', async () => {
    const { a, loaded, requests } = make(() => ({ status: 200 }), { flushAt: 1000 });
    await loaded;
    await a.flush();
    await startTimerRan();
    const before = requests.length;
    for (let i = 0; i < 5; i++) a.track(`h${i}`);
    await (a as unknown as { queue: { settled(): Promise<void> } }).queue.settled();
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    try {
      document.dispatchEvent(new Event('visibilitychange'));
      window.dispatchEvent(new Event('pagehide'));
    } finally {
      delete (document as { visibilityState?: string }).visibilityState;
    }
    await new Promise((r) => setTimeout(r, 30));
    const exits = requests.slice(before);
    expect(exits).toHaveLength(1);
    expect(exits[0]!.keepalive).toBe(true);
    expect(names(exits[0]!.body.batch)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    // Acknowledged: gone from the queue, nothing left to resend.
    expect((await a.state()).queued).toBe(0);
  });
});

describe('recorded calls', () => {
  it('are replayed in order with their original timestamps', async () => {
    const a = new Analytics();
    instances.push(a);
    stub = stubFetch(() => ({ status: 200 }));
    const t0 = Date.parse('2026-03-01T10:00:00.000Z');
    a.replay([
      ['track', ['first'], t0],
      ['identify', ['u9', { name: 'Ada' }], t0 + 1000],
      ['track', ['second', { n: 2 }], t0 + 2000],
    ]);
    a.track('after-load-call');
    void a.load({ writeKey: `key${++keyN}`, endpoint: 'http://127.0.0.1:9', flushIntervalMs: 60_000 });
    await a.flush();
    const batch = stub.requests.flatMap((r) => r.body.batch);
    expect(names(batch)).toEqual(['first', 'identify', 'second', 'after-load-call']);
    expect(batch.slice(0, 3).map((e) => e.originalTimestamp)).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:01.000Z',
      '2026-03-01T10:00:02.000Z',
    ]);
    expect(batch[2]!.userId).toBe('u9');
  });
});

describe('load()', () => {
  it('throws a FerryError naming the bad option', () => {
    const a = new Analytics();
    expect(() => a.load({ writeKey: '' })).toThrow(/writeKey is required/);
    expect(() => a.load({ writeKey: 'k', flushAt: 0 })).toThrow(/flushAt must be an integer/);
    expect(() => a.load({ writeKey: 'k', maxBatchBytes: 600_000 })).toThrow(/maxBatchBytes must be an integer in 1\.\.512000/);
    expect(() => a.load({ writeKey: 'k', retry: { capMs: -1 } })).toThrow(/capMs/);
  });
});
