// Ferry beside the browser SDKs users know, in one run of headless Chromium: each SDK on its
// own fresh profile (a new user-data directory), the same page, the same local collector.
// Everything the pages ask for is answered by 127.0.0.1; any other request is aborted and
// counted. Prints markdown tables; an SDK that could not be measured fails the bench.
import { chromium } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from './peers/collector.mjs';
import { SDKS, settingsAnswer } from './peers/sdks.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// playwright.config.ts's arguments, and a resolver that fails every host but 127.0.0.1.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];

export const COLD_CALLS = 1_000;
/** Tasks of the cold calls and of the burst: a page's bursts come in tasks too. */
const COLD_PER_TASK = 50;
const WARM_CALLS = 5_000;
/** Warmed calls are timed in chunks of 20, each chunk its own task. */
const WARM_PER_TASK = 20;
const BURST_PER_TASK = 100;
export const BURST = 10_000;
/**
 * Time budgets keep the run to a few minutes whatever an SDK costs: a loop of calls that is
 * not done by its budget stops there and its row says how many calls it made.
 */
const BUDGET_MS = { cold: 5_000, warm: 5_000, burstCalls: 5_000 };
/** How long a burst may take to reach the collector before its row says how far it got. */
const BURST_DEADLINE_MS = 15_000;
const READY_TIMEOUT_MS = 20_000;

/** Progress goes to stderr, so that stdout is only the tables. */
const progress = (msg) => process.stderr.write(`[bench:sdk] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function within(ms, what, p) {
  let timer;
  const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * A fresh profile. Nothing may leave the machine: the resolver knows no host but 127.0.0.1, and
 * while the page loads (when SDKs fetch their settings and plugins) every other request is also
 * aborted by route interception and listed. The interception is lifted before anything is
 * timed, since it sends each request through this process; failed requests to other hosts are
 * still listed.
 */
async function withProfile(origin, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-profile-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: ARGS, headless: true });
  const blocked = new Set();
  const foreign = (url) => url.origin !== origin;
  await context.route(foreign, (route) => {
    blocked.add(route.request().url());
    return route.abort('blockedbyclient');
  });
  context.on('requestfailed', (req) => {
    if (foreign(new URL(req.url()))) blocked.add(req.url());
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    return await fn(page, { blocked, unroute: () => context.unroute(foreign) });
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- functions evaluated in the page -------------------------------------------------------

/**
 * Calls track() `calls` times, `perTask` calls per task, and lets each task end (its microtasks
 * run) before the next: so an SDK's deferred work is timed with the calls that caused it, and
 * a loop never runs past its budget by more than one task. The cost of ending a task alone (a
 * MessageChannel round, the fastest of 20) is taken off each task's time. Burst events carry
 * the marker `@b<index>@` that the collector and the storage scan look for.
 */
async function driveInPage({ calls, perTask, budgetMs, name, mark }) {
  const nextTask = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
  const props = mark
    ? (i) => ({ sku: `SKU-${i}`, price: 19.99, currency: 'EUR', quantity: 1 + (i % 3), category: 'shoes', bench: `@b${i}@` })
    : (i) => ({ sku: `SKU-${i}`, price: 19.99, currency: 'EUR', quantity: 1 + (i % 3), category: 'shoes' });
  const track = window.__bench.track;
  let hop = Infinity;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await nextTask();
    hop = Math.min(hop, performance.now() - t);
  }
  const t0 = Date.now();
  const start = performance.now();
  const syncUs = [];
  let syncMs = 0;
  let taskMs = 0;
  let made = 0;
  while (made < calls && performance.now() - start < budgetMs) {
    const n = Math.min(perTask, calls - made);
    const a = performance.now();
    for (let i = 0; i < n; i++) track(name, props(made + i));
    const b = performance.now();
    await nextTask();
    made += n;
    syncUs.push(((b - a) * 1000) / n);
    syncMs += b - a;
    taskMs += Math.max(b - a, performance.now() - a - hop);
  }
  return { t0, calls: made, syncMs, taskMs, wallMs: performance.now() - start, syncUs, hopUs: hop * 1000, isolated: crossOriginIsolated };
}

/** Burst markers found in the page's storage: every localStorage value and every IndexedDB record. */
async function storedInPage() {
  const found = new Set();
  const scan = (v) => {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    if (s) for (const m of s.matchAll(/@b(\d+)@/g)) found.add(Number(m[1]));
  };
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  for (let i = 0; i < localStorage.length; i++) scan(localStorage.getItem(localStorage.key(i)));
  for (const { name } of await indexedDB.databases()) {
    const db = await req(indexedDB.open(name));
    try {
      for (const store of db.objectStoreNames) for (const v of await req(db.transaction(store).objectStore(store).getAll())) scan(v);
    } finally {
      db.close();
    }
  }
  return { at: Date.now(), ids: [...found] };
}

// ---- one SDK ---------------------------------------------------------------------------------

async function loadPage(page, collector, sdk, label) {
  const tally = collector.begin(label);
  await page.goto(`${collector.origin}/p/${encodeURIComponent(sdk.name)}`, { waitUntil: 'load' });
  await within(READY_TIMEOUT_MS, `${sdk.name} ready`, page.evaluate(() => window.__bench.ready.then(() => undefined)));
  // Whatever the SDK loads lazily once ready counts as loaded at start: wait for 1 s without a new file (5 s at most).
  for (let quiet = 0, waited = 0, seen = tally.served.length; quiet < 1_000 && waited < 5_000; waited += 250) {
    await sleep(250);
    quiet = tally.served.length === seen ? quiet + 250 : 0;
    seen = tally.served.length;
  }
  return tally;
}

async function measureCalls(collector, sdk) {
  return withProfile(collector.origin, async (page, { blocked, unroute }) => {
    const tally = await loadPage(page, collector, sdk, `${sdk.name}: load`);
    await unroute();
    const start = { raw: tally.served.reduce((n, f) => n + f.raw, 0), gzip: tally.served.reduce((n, f) => n + f.gzip, 0), files: tally.served.map((f) => f.path) };
    // A call that blocks the page longer than the budget still ends the loop: the timeouts leave it a minute.
    const cold = await within(BUDGET_MS.cold + 60_000, `${sdk.name} cold calls`, page.evaluate(driveInPage, { calls: COLD_CALLS, perTask: COLD_PER_TASK, budgetMs: BUDGET_MS.cold, name: 'Product Viewed' }));
    const warm = await within(BUDGET_MS.warm + 60_000, `${sdk.name} warmed calls`, page.evaluate(driveInPage, { calls: WARM_CALLS, perTask: WARM_PER_TASK, budgetMs: BUDGET_MS.warm, name: 'Product Viewed' }));
    return { start, cold, warm, missing: tally.missing, blocked: [...blocked] };
  });
}

async function measureBurst(collector, sdk) {
  return withProfile(collector.origin, async (page, { blocked, unroute }) => {
    await loadPage(page, collector, sdk, `${sdk.name}: burst load`);
    await unroute();
    const tally = collector.begin(`${sdk.name}: burst`);
    const { t0, calls, wallMs: callsMs } = await within(BUDGET_MS.burstCalls + 60_000, `${sdk.name} burst`, page.evaluate(driveInPage, { calls: BURST, perTask: BURST_PER_TASK, budgetMs: BUDGET_MS.burstCalls, name: 'Burst', mark: true }));
    const safe = new Set();
    let persistedAt = 0;
    let everStored = 0;
    while (Date.now() - t0 < BURST_DEADLINE_MS && !(tally.arrivals.size >= calls && (persistedAt || !everStored))) {
      // Until every event is safe (in storage, or already at the collector) the storage is read; then only the collector is watched.
      if (!persistedAt) {
        const { at, ids } = await page.evaluate(storedInPage);
        everStored = Math.max(everStored, ids.length);
        for (const id of ids) safe.add(id);
        for (const [id, a] of tally.arrivals) if (a.at <= at) safe.add(id);
        if (everStored && safe.size >= calls) persistedAt = at;
      }
      await sleep(50);
    }
    const delivered = tally.arrivals.size;
    // Late copies still count against "exactly once".
    if (delivered >= calls) await sleep(1_000);
    const once = [...tally.arrivals.values()].filter((a) => a.count === 1).length;
    const carrying = tally.posts.filter((p) => p.markers > 0);
    const events = carrying.reduce((n, p) => n + p.markers, 0);
    const body = carrying.reduce((n, p) => n + p.bodyBytes, 0);
    const headers = carrying.reduce((n, p) => n + p.headerBytes, 0);
    return {
      calls,
      callsMs,
      persistedMs: persistedAt ? persistedAt - t0 : null,
      storedMax: everStored,
      deliveredMs: delivered >= calls ? tally.lastNew - t0 : null,
      delivered,
      once,
      requests: carrying.length,
      wire: events ? { bodyPerEvent: body / events, withHeadersPerEvent: (body + headers) / events, eventsPerRequest: events / carrying.length } : null,
      blocked: [...blocked],
    };
  });
}

export async function runPeerBench() {
  // BENCH_SDKS=Ferry,posthog-js runs only those (while working on one); the default is all of them.
  const only = process.env.BENCH_SDKS?.split(',');
  const sdks = only ? SDKS.filter((s) => only.some((o) => s.name.includes(o))) : SDKS;
  const pages = Object.fromEntries(SDKS.map((s) => [`/p/${encodeURIComponent(s.name)}`, s.html]));
  const files = Object.assign({}, ...SDKS.map((s) => s.files ?? {}));
  const dirs = Object.assign({}, ...SDKS.map((s) => s.dirs ?? {}));
  const collector = await startCollector({ pages, files, dirs, json: settingsAnswer });
  const rows = [];
  try {
    for (const sdk of sdks) {
      const row = { name: sdk.name, version: sdk.version };
      const began = Date.now();
      try {
        Object.assign(row, await measureCalls(collector, sdk));
        progress(`${sdk.name}: load and calls measured (${Date.now() - began} ms)`);
        row.burst = await measureBurst(collector, sdk);
        progress(`${sdk.name}: burst measured (${Date.now() - began} ms in all)`);
      } catch (err) {
        row.error = err instanceof Error ? err.message : String(err);
      }
      rows.push(row);
    }
  } finally {
    await collector.close();
  }
  return { rows, unmeasured: rows.filter((r) => r.error).map((r) => `${r.name}: ${r.error}`) };
}

// ---- tables ----------------------------------------------------------------------------------

const q = (xs, p) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const int = (x) => Math.round(x).toLocaleString('en-US');
const us = (x) => `${x.toFixed(2)} µs`;
const ms = (x) => `${int(x)} ms`;
const coldPerCall = (r) => (r.cold.taskMs * 1000) / r.cold.calls;
/** A loop stopped by its time budget says so. */
const short = (made, wanted, budgetMs) => (made < wanted ? ` (only ${int(made)} calls in ${budgetMs / 1000} s)` : '');

export function peerTable({ rows }) {
  const ok = rows.filter((r) => !r.error);
  const cell = (r, f) => (r.error ? '—' : f(r));
  const line = (label, f) => `| ${label} | ${rows.map((r) => cell(r, f)).join(' | ')} |`;
  const out = [
    `| measure | ${rows.map((r) => `${r.name} ${r.version}`).join(' | ')} |`,
    `|---|${rows.map(() => '---|').join('')}`,
    line('bytes loaded at start: raw / gzip', (r) => `${int(r.start.raw)} B / **${int(r.start.gzip)} B** (${r.start.files.length} file${r.start.files.length === 1 ? '' : 's'})`),
    line(`first ${int(COLD_CALLS)} track() of a fresh page (tasks of ${COLD_PER_TASK}), per call: returned / with its microtasks`, (r) => `${us((r.cold.syncMs * 1000) / r.cold.calls)} / **${us(coldPerCall(r))}**${short(r.cold.calls, COLD_CALLS, BUDGET_MS.cold)}`),
    line(`the next ${int(WARM_CALLS)} (warmed, tasks of ${WARM_PER_TASK}), per call: median / p99 returned; mean with microtasks`, (r) => `**${us(q(r.warm.syncUs, 0.5))}** / ${us(q(r.warm.syncUs, 0.99))}; ${us((r.warm.taskMs * 1000) / r.warm.calls)}${short(r.warm.calls, WARM_CALLS, BUDGET_MS.warm)}`),
    line(`${int(BURST)}-event burst (tasks of ${BURST_PER_TASK}, back to back): calls done`, (r) => `${ms(r.burst.callsMs)}${short(r.burst.calls, BURST, BUDGET_MS.burstCalls)}`),
    line('… until every event is in storage or at the collector', (r) => (r.burst.persistedMs !== null ? `**${ms(r.burst.persistedMs)}**` : r.burst.storedMax ? `never (at most ${int(r.burst.storedMax)} stored)` : 'none seen in storage')),
    line(`… until all reached the collector (${BURST_DEADLINE_MS / 1000} s at most)`, (r) => (r.burst.deliveredMs !== null ? `**${ms(r.burst.deliveredMs)}**` : `${int(r.burst.delivered)} arrived by then`)),
    line('… arrived exactly once', (r) => `${int(r.burst.once)} of ${int(r.burst.calls)}`),
    line('wire bytes per event: body / with HTTP headers (events per request)', (r) => (r.burst.wire ? `**${r.burst.wire.bodyPerEvent.toFixed(1)} B** / ${r.burst.wire.withHeadersPerEvent.toFixed(1)} B (${r.burst.wire.eventsPerRequest.toFixed(1)})` : '—')),
    line('requests to other hosts (blocked)', (r) => String(r.blocked.length + r.burst.blocked.length)),
  ];
  for (const r of rows.filter((x) => x.error)) out.push('', `${r.name}: **not measured**: ${r.error}`);
  const ferry = ok.find((r) => r.name === 'Ferry');
  const peers = ok.filter((r) => r !== ferry);
  if (ferry && peers.length) out.push('', targetTable(ferry, peers));
  return out.join('\n');
}

function targetTable(ferry, peers) {
  const smallestPeer = peers.reduce((a, b) => (a.start.gzip <= b.start.gzip ? a : b));
  const coldPeer = peers.reduce((a, b) => (coldPerCall(a) <= coldPerCall(b) ? a : b));
  const perCall = coldPerCall;
  const yes = (b) => (b ? 'met' : '**missed**');
  return [
    '| target | Ferry | best peer | |',
    '|---|---|---|---|',
    `| bytes at start (gzip) ≥ 2× smaller than every peer | ${int(ferry.start.gzip)} B | ${int(smallestPeer.start.gzip)} B (${smallestPeer.name}): ${(smallestPeer.start.gzip / ferry.start.gzip).toFixed(1)}× | ${yes(smallestPeer.start.gzip >= 2 * ferry.start.gzip)} |`,
    `| cold track() per call below the fastest peer's | ${us(perCall(ferry))} | ${us(perCall(coldPeer))} (${coldPeer.name}) | ${yes(perCall(ferry) < perCall(coldPeer))} |`,
    `| warmed track() p99 ≤ 50 µs | ${us(q(ferry.warm.syncUs, 0.99))} | — | ${yes(q(ferry.warm.syncUs, 0.99) <= 50)} |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runPeerBench();
  console.log(peerTable(result));
  if (result.unmeasured.length) process.exitCode = 1;
}
