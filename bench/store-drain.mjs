// Store drain benchmark: the SQLite writer's CPU per delivered event, the serial stage of routing.
// It drives the built SQLite store in this process (no HTTP, no destination): ingests EVENTS
// events of USERS users to one destination, then loops claim(BATCH) → settle every row as
// succeeded until nothing is left (as the router does: it renews a lease only when it runs low), and checks that each user's events were claimed once each, in
// ingestion order. The CPU is this thread's (the store is synchronous: better-sqlite3 runs on the
// caller's thread), read from /proc/thread-self/schedstat in ns, so the checkpointer thread is
// left out; where that file is missing, process.cpuUsage() (all threads) stands in.
//
//   node bench/store-drain.mjs [dist dir] [runs]     (default: ./dist, 3 runs; prints a markdown table)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadSqliteStore } from './claim.mjs';

const DESTINATION = 'drain-destination';
const EVENTS = Number(process.env.FERRY_DRAIN_EVENTS ?? 50_000);
const USERS = 1_000;
const BATCH = 500;
const LEASE_MS = 60_000;

/** CPU time of this thread in µs. */
const threadCpuUs = (() => {
  try {
    readFileSync('/proc/thread-self/schedstat', 'utf8');
    return () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000;
  } catch {
    return () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
  }
})();

const event = (i, receivedAt) => {
  const userKey = `user-${i % USERS}`;
  const messageId = `m-${i}`;
  return {
    source: 'bench', messageId, type: 'track', userKey, receivedAt,
    body: JSON.stringify({ type: 'track', event: 'Drain', userId: userKey, messageId, properties: { i, plan: 'pro', path: '/pricing' } }),
    destinations: [DESTINATION],
    links: [],
  };
};

async function drainOnce(SqliteStore) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-drain-bench-'));
  const store = new SqliteStore(dataDir);
  try {
    const t0 = Date.now() - 60_000;
    for (let from = 0; from < EVENTS; from += 2_000) {
      await store.ingest(Array.from({ length: Math.min(2_000, EVENTS - from) }, (_, k) => event(from + k, t0)), 0);
    }
    const cpu = { claim: 0, settle: 0 };
    const lastSeq = new Map();
    let delivered = 0;
    let orderErrors = 0;
    let claims = 0;
    const started = performance.now();
    for (;;) {
      const token = `drain-${claims++}`;
      let c = threadCpuUs();
      const rows = await store.claim(DESTINATION, Date.now(), BATCH, LEASE_MS, token);
      cpu.claim += threadCpuUs() - c;
      if (rows.length === 0) break;
      for (const r of rows) {
        if ((lastSeq.get(r.userKey) ?? -1) >= r.eventSeq) orderErrors++;
        lastSeq.set(r.userKey, r.eventSeq);
      }
      const at = Date.now();
      const outcomes = rows.map((r) => ({
        id: r.id, state: 'succeeded',
        attempt: { number: r.attempts + 1, at, status: 200, error: null, response: '{"ok":true}', durationMs: 3 },
      }));
      c = threadCpuUs();
      const fenced = await store.settle(DESTINATION, token, outcomes, Date.now());
      cpu.settle += threadCpuUs() - c;
      if (fenced !== 0) throw new Error(`${fenced} outcomes fenced in an uncontended drain`);
      delivered += rows.length;
    }
    const wallMs = performance.now() - started;
    const counts = await store.counts(DESTINATION, Date.now());
    if (counts.succeeded !== EVENTS || counts.pending + counts.blocked + counts.failed !== 0) {
      throw new Error(`counts after the drain: ${JSON.stringify(counts)}`);
    }
    return { delivered, orderErrors, claims: claims - 1, wallMs, cpu };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runStoreDrain(distDir, runs = 3) {
  const SqliteStore = await loadSqliteStore(distDir);
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await drainOnce(SqliteStore));
  return results;
}

export function drainTable(label, results) {
  const per = (r, k) => r.cpu[k] / r.delivered;
  const total = (r) => (r.cpu.claim + r.cpu.settle) / r.delivered;
  const f = (x) => x.toFixed(1);
  return [
    `| ${label}: ${EVENTS.toLocaleString('en-US')} events, ${USERS} users, claims of ${BATCH} | writer CPU µs per delivered event | claim | settle | wall ms | delivered | per-user order errors |`,
    '|---|---|---|---|---|---|---|',
    ...results.map((r, i) => `| run ${i + 1} | ${f(total(r))} | ${f(per(r, 'claim'))} | ${f(per(r, 'settle'))} | ${Math.round(r.wallMs)} | ${r.delivered} | ${r.orderErrors} |`),
    `| **median** | **${f(median(results.map(total)))}** | ${f(median(results.map((r) => per(r, 'claim'))))} | ${f(median(results.map((r) => per(r, 'settle'))))} | ${Math.round(median(results.map((r) => r.wallMs)))} | | |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const distDir = resolve(process.argv[2] ?? new URL('../dist', import.meta.url).pathname);
  const results = await runStoreDrain(distDir, Number(process.argv[3] ?? 3));
  console.log(drainTable(distDir, results));
  if (results.some((r) => r.orderErrors > 0 || r.delivered !== EVENTS)) process.exitCode = 1;
}
