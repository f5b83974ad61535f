// @vitest-environment happy-dom
import type { QueueStore } from '../../../src/sdk/queue-store.js';
import { afterEach, expect, it } from 'vitest';
import { Emitter } from '../../../src/sdk/emitter.js';
import { Flusher } from '../../../src/sdk/flusher.js';
import { resolveOptions } from '../../../src/sdk/options.js';
import { memoryStore } from '../../../src/sdk/queue-memory.js';
import { WriteQueue } from '../../../src/sdk/queue.js';
import { stubFetch, type Stub } from '../../helpers/fetch-stub.js';
import type { FlushLock } from '../../../src/sdk/lock.js';

let stub: Stub | undefined;
afterEach(() => stub?.restore());

it('never has an event on the wire twice at once: a drain that read a batch before a page-hide request sent it reads again after its answer', async () => {
  stub = stubFetch(() => ({ status: 200 }));
  const store = memoryStore();
  const queue = new WriteQueue(() => 10_000, () => {}, () => {});
  queue.attach(store);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const flusher = new Flusher({
    store,
    queue,
    options: resolveOptions({ writeKey: 'k', endpoint: 'http://127.0.0.1:9' }),
    emitter: new Emitter(),
    lock: { kind: 'tab', withLock: (fn) => fn(), held: async () => false },
    consented: () => true,
    // The drain's compression waits until the test lets it go.
    compress: async (text) => {
      await gate;
      return new TextEncoder().encode(text);
    },
  });
  for (let i = 0; i < 3; i++) queue.push({ json: `{"event":"e${i}","messageId":"m${i}"}`, messageId: `m${i}`, enqueuedAt: Date.now() });
  await queue.settled();
  const drained = flusher.flush(true);
  await new Promise((r) => setTimeout(r, 20));
  // The drain has read e0..e2 and is compressing them when the page is hidden.
  flusher.flushOnExit();
  release();
  expect(await drained).toMatchObject({ ok: true, remaining: 0 });
  expect(stub.requests.map((r) => [r.keepalive, r.body.batch.map((e) => e.messageId)])).toEqual([[true, ['m0', 'm1', 'm2']]]);
  flusher.stop();
});

it('a retry timer that fires while the failed drain is still finishing is not lost: the next try still happens', async () => {
  // WebKit under load: the drain's closing IndexedDB reads (count, lock release) outlast a
  // short backoff, so the retry timer fires while that drain is still pending.
  stub = stubFetch(() => ({ status: 503 }));
  const store = memoryStore();
  const count = store.count.bind(store);
  store.count = async () => {
    await new Promise((r) => setTimeout(r, 200));
    return count();
  };
  const queue = new WriteQueue(() => 10_000, () => {}, () => {});
  queue.attach(store);
  const flusher = new Flusher({
    store,
    queue,
    options: resolveOptions({ writeKey: 'k', endpoint: 'http://127.0.0.1:9', retry: { baseMs: 5, capMs: 20 } }),
    consented: () => true,
    emitter: new Emitter(),
    lock: { kind: 'tab', withLock: (fn) => fn(), held: async () => false },
    compress: async (text) => new TextEncoder().encode(text),
  });
  queue.push({ json: '{"event":"e","messageId":"m"}', messageId: 'm', enqueuedAt: Date.now() });
  await queue.settled();
  void flusher.flush(false);
  await expect.poll(() => stub!.requests.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
  flusher.stop();
});

it('coming online while a drain that saw "offline" is still finishing is not lost: the queue is sent', async () => {
  let online = false;
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
  stub = stubFetch(() => ({ status: 200 }));
  const store = memoryStore();
  const count = store.count.bind(store);
  // The drain's closing count() (an IndexedDB read: slow under load on WebKit).
  store.count = async () => {
    await new Promise((r) => setTimeout(r, 200));
    return count();
  };
  const queue = new WriteQueue(() => 10_000, () => {}, () => {});
  queue.attach(store);
  const flusher = new Flusher({
    store,
    queue,
    options: resolveOptions({ writeKey: 'k', endpoint: 'http://127.0.0.1:9' }),
    emitter: new Emitter(),
    lock: { kind: 'tab', withLock: (fn) => fn(), held: async () => false },
    consented: () => true,
    compress: async (text) => new TextEncoder().encode(text),
  });
  try {
    queue.push({ json: '{"event":"e","messageId":"m"}', messageId: 'm', enqueuedAt: Date.now() });
    await queue.settled();
    const first = flusher.flush(false);
    await new Promise((r) => setTimeout(r, 50));
    // The `online` event: analytics.ts asks the flusher to send.
    online = true;
    void flusher.flush(false);
    expect(await first).toMatchObject({ reason: 'offline' });
    await expect.poll(() => stub!.requests.length, { timeout: 5_000 }).toBe(1);
  } finally {
    flusher.stop();
    delete (navigator as { onLine?: boolean }).onLine;
  }
});

/** One tab of the origin: its write queue and flusher over the shared store and lock. */
function tabOn(store: QueueStore, lock: FlushLock) {
  const queue = new WriteQueue(() => 10_000, () => {}, () => {});
  queue.attach(store);
  const flusher = new Flusher({
    store,
    queue,
    options: resolveOptions({ writeKey: 'k', endpoint: 'http://127.0.0.1:9', flushAt: 2 }),
    emitter: new Emitter(),
    lock,
    consented: () => true,
    compress: async (text) => new TextEncoder().encode(text),
  });
  return { queue, flusher };
}

/** One lock for several tabs' flushers, granted in the order asked, as Web Locks do. */
function sharedLock(): FlushLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    kind: 'web-locks',
    withLock(fn) {
      const run = tail.then(fn);
      tail = run.catch(() => undefined);
      return run;
    },
    held: async () => false,
  };
}

it('a page-hide request takes its turn at the lock when it is sent: no tab reads its events while its answer is on the way', async () => {
  let letFirstGo!: () => void;
  const firstHeld = new Promise<void>((r) => (letFirstGo = r));
  // The sending tab's first request waits; the hidden tab's keepalive answer comes 200 ms later.
  stub = stubFetch(async (_, n) => {
    if (n === 1) await firstHeld;
    if (n === 2) await new Promise((r) => setTimeout(r, 200));
    return { status: 200 };
  });
  const store = memoryStore();
  const lock = sharedLock();
  const tab = () => tabOn(store, lock);
  const sender = tab();
  const hidden = tab();
  try {
    for (let i = 0; i < 6; i++) hidden.queue.push({ json: `{"messageId":"m${i}"}`, messageId: `m${i}`, enqueuedAt: Date.now() });
    await hidden.queue.settled();
    const drained = sender.flusher.flush(false);
    await expect.poll(() => stub!.requests.length).toBe(1);
    hidden.flusher.flushOnExit();
    await expect.poll(() => stub!.requests.length).toBe(2);
    // The sender's answer comes first: its next read waits for the page-hide answer to settle.
    letFirstGo();
    expect(await drained).toMatchObject({ ok: true, remaining: 0 });
    expect(stub.requests.map((r) => r.body.batch.map((e) => e.messageId))).toEqual([['m0', 'm1'], ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']]);
  } finally {
    sender.flusher.stop();
    hidden.flusher.stop();
  }
});

it('no tab sends again what a page-hide request of another tab had acknowledged: that answer settles under the lock', async () => {
  let letFirstGo!: () => void;
  const firstHeld = new Promise<void>((r) => (letFirstGo = r));
  // The sending tab's request waits; the hidden tab's keepalive request is answered at once.
  stub = stubFetch(async (_, n) => {
    if (n === 1) await firstHeld;
    return { status: 200 };
  });
  const store = memoryStore();
  const remove = store.remove.bind(store);
  let removals = 0;
  // The hidden tab's deletion is slow (IndexedDB under load).
  store.remove = async (records) => {
    if (removals++ === 0) await new Promise((r) => setTimeout(r, 300));
    return remove(records);
  };
  const lock = sharedLock();
  const tab = () => tabOn(store, lock);
  const sender = tab();
  const hidden = tab();
  try {
    for (let i = 0; i < 6; i++) hidden.queue.push({ json: `{"messageId":"m${i}"}`, messageId: `m${i}`, enqueuedAt: Date.now() });
    await hidden.queue.settled();
    const drained = sender.flusher.flush(false);
    await expect.poll(() => stub!.requests.length).toBe(1);
    // The hidden tab hands its events to a keepalive request; its 2xx comes while the other tab's request is out.
    hidden.flusher.flushOnExit();
    await expect.poll(() => stub!.requests.length).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    letFirstGo();
    expect(await drained).toMatchObject({ ok: true, remaining: 0 });
    expect(stub.requests.map((r) => r.body.batch.map((e) => e.messageId))).toEqual([['m0', 'm1'], ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']]);
  } finally {
    sender.flusher.stop();
    hidden.flusher.stop();
  }
});
