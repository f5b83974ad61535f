import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import type { Site } from '../helpers/fault-proxy.js';
import type { SideServer } from '../helpers/engine-side-server.js';
import { readmeSnippet } from '../helpers/snippet.js';
import type { Engine, Session, Tab } from './engine.js';

/**
 * The scenarios every engine runs: one list, written once against the Engine interface.
 * What the server stored (Ferry's own SQLite file, behind the fault proxy) is the truth.
 * Where an engine lacks a feature, the SDK's fallback is what runs; `note` records which path
 * ran so the report says it.
 */
export interface ScenarioContext {
  engine: Engine;
  session: Session;
  site: Site;
  side: SideServer;
  /** Opens a tab that the runner closes after the scenario if the scenario did not. */
  open(url: string): Promise<Tab>;
  note(what: string): void;
}

export interface Scenario {
  name: string;
  /** Why this is expected to fail on today's code (a known SDK bug), shown in the test title. */
  knownBug?: string;
  run(ctx: ScenarioContext): Promise<void>;
}

type Ev = Record<string, unknown>;
export const tracks = (events: Ev[]) => events.filter((e) => e.type === 'track');
export const names = (events: Ev[]) => events.map((e) => e.event);
export const seq = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const POLL = { timeout: 60_000 };

/** A page on the site's origin loading the IIFE through the README's snippet. */
export function pageUrl(site: Site, load: Record<string, unknown>, opts: { before?: string; after?: string; src?: string } = {}): string {
  const snippet = readmeSnippet({ src: opts.src ?? '/dist/ferry.iife.js', load: { writeKey: site.writeKey, ...load } });
  return site.page((opts.before ?? '') + snippet + (opts.after ?? ''));
}

export interface PageState {
  storage: string;
  queued: number;
  buffered: number;
  lock: string;
}

interface Features {
  webLocks: boolean;
  compressionStream: boolean;
  keepalive: boolean;
}

/** Waits in the page until the bundle replaced the stub and the queue is open. */
export async function ready(tab: Tab): Promise<void> {
  await tab.evaluate(async () => {
    for (let i = 0; i < 600; i++) {
      const f = (window as unknown as { ferry?: { state?: () => Promise<{ storage: string }> } }).ferry;
      if (typeof f?.state === 'function' && (await f.state()).storage !== 'none') return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the SDK did not become ready in 30 s');
  }, null);
}

export function state(tab: Tab): Promise<PageState> {
  return tab.evaluate(() => (window as unknown as { ferry: { state(): Promise<PageState> } }).ferry.state(), null);
}

function features(tab: Tab): Promise<Features> {
  return tab.evaluate(() => {
    let keepalive = false;
    try {
      keepalive = new Request(location.href, { method: 'POST', body: 'x', keepalive: true }).keepalive === true;
    } catch {
      keepalive = false;
    }
    return { webLocks: typeof navigator.locks?.request === 'function', compressionStream: typeof CompressionStream === 'function', keepalive };
  }, null);
}

export function trackMany(tab: Tab, prefix: string, n: number): Promise<void> {
  return tab.evaluate(({ prefix, n }) => {
    const f = (window as unknown as { ferry: { track(e: string, p: object): void } }).ferry;
    for (let i = 0; i < n; i++) f.track(`${prefix}${i}`, { i });
  }, { prefix, n });
}

/** Which gzip the page used: the native stream, or the fflate chunk it had to fetch. */
async function gzipPath(tab: Tab): Promise<string> {
  const fetchedFallback = await tab.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/ferry-gzip.js')), null);
  return fetchedFallback ? 'fflate chunk (no CompressionStream)' : 'CompressionStream';
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A second window that never sent (it only tracked) goes away after the other window delivered
 * its events. Nothing it tracked is unacknowledged any more, so nothing may be sent again.
 */
async function secondWindowLeaves(ctx: ScenarioContext, leave: (tab: Tab) => Promise<void>): Promise<void> {
  const { site } = ctx;
  const sender = await ctx.open(pageUrl(site, { flushIntervalMs: 50, flushAt: 1000 }));
  // Its own timer never fires in this test: the other window's lock drains its events.
  const quiet = await ctx.open(pageUrl(site, { flushIntervalMs: 600_000, flushAt: 1000 }));
  await ready(sender);
  await ready(quiet);
  await expect.poll(() => site.stored().length, POLL).toBe(2);
  await trackMany(quiet, 'q', 100);
  await expect.poll(() => state(quiet).then((s) => s.queued), POLL).toBe(100);
  await trackMany(sender, 's', 1);
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(101);
  const before = site.requests.length;
  await leave(quiet);
  // A page-hide request leaves synchronously; one more delivery by the sender orders after it.
  await trackMany(sender, 'z', 1);
  await expect.poll(() => tracks(site.stored()).length, POLL).toBe(102);
  await settle(1000);
  const after = site.requests.slice(before);
  ctx.note(`requests after the second window left: ${after.map((r) => `${r.events.length} events${r.gzip ? ' gzip' : ' uncompressed'}, ${r.duplicates} duplicates`).join('; ')}`);
  expect(site.duplicates()).toBe(0);
  expect(after.flatMap((r) => names(r.events))).toEqual(['z0']);
  expect(after.every((r) => r.gzip)).toBe(true);
  expect(site.maxConcurrent).toBe(1);
}

/**
 * A page that drives itself from its query string and reports its SDK state every 250 ms.
 * Phase 1 tracks while the page loads. Phase hide waits until the page view has been sent and
 * nothing is queued, then tracks and is hidden in the same task, as a phone does when the user
 * taps and switches apps: only the page-hide request can send those events.
 */
export const SELF_DRIVING = `<script>
(function () {
  var q = new URLSearchParams(location.search);
  var phase = q.get('phase');
  if (phase === '1') for (var i = 0; i < 20; i++) ferry.track('k' + i, { i: i });
  var hidden = false;
  function hideWhenIdle() {
    ferry.state().then(function (s) {
      if (hidden) return;
      if (s.queued > 0 || s.buffered > 0 || s.inFlight > 0 || s.flushing) return setTimeout(hideWhenIdle, 50);
      hidden = true;
      for (var i = 0; i < 20; i++) ferry.track('k' + i, { i: i });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: function () { return 'hidden'; } });
      document.dispatchEvent(new Event('visibilitychange'));
    });
  }
  // After the page view's delivery, once the flusher has stopped.
  if (phase === 'hide') ferry.on('delivered', hideWhenIdle);
  function tick() {
    if (typeof ferry.state !== 'function') return setTimeout(tick, 50);
    ferry.state().then(function (s) {
      if (s.storage !== 'none') fetch(q.get('report'), { method: 'POST', mode: 'no-cors', body: JSON.stringify({ phase: phase, state: s }) }).catch(function () {});
      setTimeout(tick, 250);
    });
  }
  tick();
})();
</script>`;

/** Blocks storage before the snippet runs, the way Safari's private modes and "block all cookies" do. */
const BLOCK_INDEXEDDB = `<script>
window.__fallbacks = [];
IDBFactory.prototype.open = function () { throw new DOMException('The operation is insecure.', 'SecurityError'); };
</script>`;
/** Where IndexedDB is switched off altogether (Firefox's dom.indexedDB.enabled=false, some embedded web views). */
const NO_INDEXEDDB = `<script>
window.__fallbacks = [];
Object.defineProperty(window, 'indexedDB', { configurable: true, value: undefined });
</script>`;
const BLOCK_LOCALSTORAGE_WRITES = `<script>
Storage.prototype.setItem = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
</script>`;
const RECORD_FALLBACKS = `<script>ferry.on('storage-fallback', function (info) { window.__fallbacks.push(info); });</script>`;

function fallbacks(tab: Tab): Promise<Array<{ from: string; to: string; reason: string }>> {
  return tab.evaluate(() => (window as unknown as { __fallbacks: Array<{ from: string; to: string; reason: string }> }).__fallbacks, null);
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'events arrive gzip-compressed, in order, with exact counts',
    async run({ site, open, note }) {
      const tab = await open(pageUrl(site, { flushAt: 40, flushIntervalMs: 100 }));
      await ready(tab);
      const f = await features(tab);
      await trackMany(tab, 'e', 250);
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(250);
      expect(names(tracks(site.stored()))).toEqual(seq('e', 250));
      expect(site.stored().filter((e) => e.type === 'page')).toHaveLength(1);
      expect(site.duplicates()).toBe(0);
      expect(site.requests.every((r) => r.gzip && r.contentType.startsWith('text/plain'))).toBe(true);
      expect(Math.max(...site.requests.map((r) => r.events.length))).toBeLessThanOrEqual(40);
      expect(site.maxConcurrent).toBe(1);
      const s = await state(tab);
      expect(s).toMatchObject({ storage: 'indexeddb', queued: 0, buffered: 0, lock: f.webLocks ? 'web-locks' : 'tab' });
      note(`gzip: ${await gzipPath(tab)}; lock: ${s.lock}; keepalive fetch: ${f.keepalive ? 'yes' : 'no'}`);
    },
  },
  {
    name: 'an outage with a reload, then recovery: every event once, in order',
    async run({ site, open }) {
      site.mode = 'fail503';
      const url = pageUrl(site, { flushAt: 50, flushIntervalMs: 50, retry: { baseMs: 100, capMs: 1000 } });
      const tab = await open(url);
      await ready(tab);
      await trackMany(tab, 'r', 200);
      // One refused request is the outage; whether a retry follows before the reload depends on a
      // known bug (test/unit/sdk/flusher.test.ts: a retry timer absorbed by a slow drain's end).
      await expect.poll(() => site.requests.filter((r) => r.status === 503).length, POLL).toBeGreaterThanOrEqual(1);
      await expect.poll(() => state(tab).then((s) => s.queued), POLL).toBe(201);
      await tab.goto(url);
      await ready(tab);
      site.mode = 'ok';
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(200);
      expect(names(tracks(site.stored()))).toEqual(seq('r', 200));
      expect(site.stored().filter((e) => e.type === 'page')).toHaveLength(2);
      expect(site.stored()[0]!.type).toBe('page');
      expect(site.duplicates()).toBe(0);
    },
  },
  {
    name: 'a browser killed and restarted on the same profile sends what it had queued',
    async run({ engine, site, side, note }) {
      site.mode = 'down';
      const profile = mkdtempSync(join(tmpdir(), `ferry-${engine.name}-profile-`));
      const url = pageUrl(site, { flushIntervalMs: 50, retry: { baseMs: 50, capMs: 500 } }, { after: SELF_DRIVING });
      const at = (phase: number) => `${url}?phase=${phase}&report=${encodeURIComponent(`${side.url}/report`)}`;
      const reported = (phase: string, queued: number) =>
        side.reports.some((r) => r.phase === phase && (r.state as PageState).queued === queued && (r.state as PageState).buffered === 0);
      try {
        const first = await engine.startOnProfile(profile, at(1));
        try {
          await expect.poll(() => reported('1', 21), POLL).toBe(true);
        } finally {
          await first.kill();
        }
        expect(site.stored()).toHaveLength(0);
        site.mode = 'ok';
        const second = await engine.startOnProfile(profile, at(2));
        try {
          await expect.poll(() => tracks(site.stored()).length, POLL).toBe(20);
          await expect.poll(() => reported('2', 0), POLL).toBe(true);
        } finally {
          await second.kill();
        }
        expect(names(tracks(site.stored()))).toEqual(seq('k', 20));
        expect(site.stored().map((e) => e.type)).toEqual(['page', ...Array(20).fill('track'), 'page']);
        const storage = side.reports.map((r) => (r.state as PageState).storage);
        note(`storage on both runs: ${[...new Set(storage)].join(', ')}`);
        expect(new Set(storage)).toEqual(new Set(['indexeddb']));
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'a page hidden then killed without unload loses nothing, nothing twice after dedupe',
    async run({ engine, site, side, note }) {
      const profile = mkdtempSync(join(tmpdir(), `ferry-${engine.name}-hidden-`));
      // Only page hide can send: the interval never fires in this test.
      const url = pageUrl(site, { flushIntervalMs: 600_000, flushAt: 1000 }, { after: SELF_DRIVING });
      const at = (phase: string) => `${url}?phase=${phase}&report=${encodeURIComponent(`${side.url}/report`)}`;
      try {
        // The phone switches apps right after the taps: the page is hidden, the only notice it gets.
        const first = await engine.startOnProfile(profile, at('hide'));
        try {
          await expect.poll(() => tracks(site.stored()).length, POLL).toBe(20);
        } finally {
          // Then the OS kills the browser: no unload, no clean shutdown.
          await first.kill();
        }
        const second = await engine.startOnProfile(profile, at('2'));
        try {
          await expect.poll(() => side.reports.some((r) => r.phase === '2' && (r.state as PageState).queued === 0), POLL).toBe(true);
          await expect.poll(() => site.stored().filter((e) => e.type === 'page').length, POLL).toBe(2);
        } finally {
          await second.kill();
        }
        expect(names(tracks(site.stored()))).toEqual(seq('k', 20));
        note(`${site.duplicates()} copies absorbed by dedupe`);
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'a connection cut after the server committed: the retry is absorbed by dedupe',
    async run({ site, open, note }) {
      const tab = await open(pageUrl(site, { flushAt: 10, flushIntervalMs: 50, retry: { baseMs: 50, capMs: 300 } }));
      await ready(tab);
      await expect.poll(() => site.stored().length, POLL).toBe(1);
      // The proxy forwards the next two batches, lets Ferry commit them, then drops the connection:
      // the page sees a network error for events the server already stored.
      let cut = 0;
      site.fault = (req) => {
        if (req.events.length === 0 || cut >= 2) return 'pass';
        cut++;
        return 'cut';
      };
      await trackMany(tab, 'd', 30);
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(30);
      await expect.poll(() => state(tab).then((s) => s.queued), POLL).toBe(0);
      site.fault = undefined;
      expect(cut).toBe(2);
      expect(names(tracks(site.stored()))).toEqual(seq('d', 30));
      // Each cut batch was stored, then seen again: acknowledged as duplicates, not stored twice.
      expect(site.duplicates()).toBeGreaterThanOrEqual(10);
      note(`${site.duplicates()} copies absorbed by dedupe`);
    },
  },
  {
    name: 'two tabs of one origin send through one flusher: at most one request in flight',
    async run({ site, open, note }) {
      const url = pageUrl(site, { flushAt: 25, flushIntervalMs: 30 });
      const tabs = [await open(url), await open(url)];
      for (const t of tabs) await ready(t);
      const lock = (await state(tabs[0]!)).lock;
      note(`lock: ${lock}`);
      await Promise.all(tabs.map((t, i) => trackMany(t, `t${i}-`, 150)));
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(300);
      await settle(500);
      const stored = tracks(site.stored());
      expect(stored).toHaveLength(300);
      for (let i = 0; i < 2; i++) expect(names(stored.filter((e) => String(e.event).startsWith(`t${i}-`)))).toEqual(seq(`t${i}-`, 150));
      // Without Web Locks each tab sends on its own and the server's dedupe absorbs the overlap.
      if (lock === 'web-locks') {
        expect(site.maxConcurrent).toBe(1);
        expect(site.duplicates()).toBe(0);
      } else {
        note(`no Web Locks: ${site.maxConcurrent} requests at once, ${site.duplicates()} duplicates absorbed`);
      }
    },
  },
  {
    name: "the snippet's pre-load buffer is replayed with the original times",
    async run({ site, side, open }) {
      const tab = await open(pageUrl(site, { flushIntervalMs: 50 }, { src: `${side.url}/slow/dist/ferry.iife.js`, after: `<script>ferry.identify('u-1', { plan: 'pro' }); ferry.track('early', { n: 1 });</script>` }));
      await ready(tab);
      await expect.poll(() => site.stored().length, POLL).toBe(3);
      expect(site.stored().map((e) => e.type)).toEqual(['page', 'identify', 'track']);
      const early = site.stored()[2]!;
      expect(early).toMatchObject({ event: 'early', userId: 'u-1' });
      const loadedAt = await tab.evaluate(() => {
        const entry = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/ferry.iife.js')) as PerformanceResourceTiming;
        return performance.timeOrigin + entry.responseEnd;
      }, null);
      // The side server holds the bundle 700 ms: the recorded time is from before it arrived.
      expect(Date.parse(early.originalTimestamp as string)).toBeLessThan(loadedAt - 300);
    },
  },
  {
    name: 'a tab closed right after tracking loses nothing',
    async run({ site, open, note }) {
      const url = pageUrl(site, { flushIntervalMs: 600_000, flushAt: 1000 });
      const tab = await open(url);
      await ready(tab);
      await expect.poll(() => site.stored().length, POLL).toBe(1);
      const f = await features(tab);
      await trackMany(tab, 'c', 30);
      await tab.close();
      let path = 'page-hide request';
      try {
        await expect.poll(() => tracks(site.stored()).length, { timeout: 10_000 }).toBe(30);
      } catch {
        path = 'next visit';
      }
      note(`delivered by: ${path} (keepalive fetch ${f.keepalive ? 'supported' : 'missing'})`);
      const next = await open(url);
      await ready(next);
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(30);
      await expect.poll(() => site.stored().length, POLL).toBe(32);
      expect(names(tracks(site.stored()))).toEqual(seq('c', 30));
    },
  },
  {
    name: 'a second window closed after the other delivered its events sends nothing again',
    run: (ctx) => secondWindowLeaves(ctx, (tab) => tab.close()),
  },
  {
    name: 'a second window navigated away after the other delivered its events sends nothing again',
    run: (ctx) => secondWindowLeaves(ctx, (tab) => tab.goto(ctx.site.page('<p>another page of the site, without the SDK</p>'))),
  },
  {
    name: 'IndexedDB blocked: the localStorage fallback is announced and events still arrive in order',
    async run({ site, open }) {
      const tab = await open(pageUrl(site, { flushIntervalMs: 50 }, { before: BLOCK_INDEXEDDB, after: RECORD_FALLBACKS }));
      await ready(tab);
      expect(await state(tab)).toMatchObject({ storage: 'localStorage' });
      const announced = await fallbacks(tab);
      expect(announced).toHaveLength(1);
      expect(announced[0]).toMatchObject({ from: 'indexeddb', to: 'localStorage' });
      expect(announced[0]!.reason).toContain('SecurityError');
      await trackMany(tab, 'l', 20);
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(20);
      expect(names(tracks(site.stored()))).toEqual(seq('l', 20));
    },
  },
  {
    name: 'all storage blocked (old private mode): the memory fallback is announced and events still arrive',
    async run({ site, open }) {
      const tab = await open(pageUrl(site, { flushIntervalMs: 50 }, { before: BLOCK_INDEXEDDB + BLOCK_LOCALSTORAGE_WRITES, after: RECORD_FALLBACKS }));
      await ready(tab);
      expect(await state(tab)).toMatchObject({ storage: 'memory' });
      const announced = await fallbacks(tab);
      expect(announced.map((a) => [a.from, a.to])).toEqual([['indexeddb', 'memory']]);
      await trackMany(tab, 'm', 20);
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(20);
      expect(names(tracks(site.stored()))).toEqual(seq('m', 20));
    },
  },
  {
    name: 'no IndexedDB at all: the fallback reaches a listener registered right after load()',
    async run({ site, open }) {
      const tab = await open(pageUrl(site, { flushIntervalMs: 50 }, { before: NO_INDEXEDDB, after: RECORD_FALLBACKS }));
      await ready(tab);
      expect(await state(tab)).toMatchObject({ storage: 'localStorage' });
      const announced = await fallbacks(tab);
      expect(announced.map((a) => [a.from, a.to])).toEqual([['indexeddb', 'localStorage']]);
      await trackMany(tab, 'n', 5);
      await expect.poll(() => tracks(site.stored()).length, POLL).toBe(5);
    },
  },
];
