// Claim benchmark: the cost of one claim (the router's every-250-ms poll) while one user has
// N deliveries blocked behind a failing event, and 100 other users wait with one event each.
// It drives the built SQLite store in this process. Prints a markdown table.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DESTINATION = 'bench-destination';
const OTHER_USERS = 100;
const ROUNDS = 60;

/** The built store class, from its dist chunk (run `npm run build` first); `distDir` for another build's. */
export async function loadSqliteStore(distDir) {
  const dir = distDir ? pathToFileURL(`${distDir}/server/`) : new URL('../dist/server/', import.meta.url);
  // The bundler names the chunk after whichever module it starts with: find it by its content.
  const chunk = readdirSync(dir).find((f) => f.endsWith('.js') && readFileSync(new URL(f, dir), 'utf8').includes('journal_mode = WAL'));
  if (!chunk) throw new Error(`no SQLite store chunk in ${dir.pathname}: run \`npm run build\` first`);
  const mod = await import(new URL(chunk, dir).href);
  const SqliteStore = Object.values(mod).find((v) => typeof v === 'function' && typeof v.prototype?.claim === 'function');
  if (!SqliteStore) throw new Error(`no store class exported by ${chunk}`);
  return SqliteStore;
}

const event = (userKey, n, receivedAt) => ({
  source: 'bench', messageId: `${userKey}-${n}`, type: 'track', userKey, receivedAt,
  body: JSON.stringify({ type: 'track', event: 'Bench', userId: userKey, messageId: `${userKey}-${n}`, properties: { n } }),
  destinations: [DESTINATION],
  links: [],
});

async function measure(SqliteStore, blocked) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-claim-bench-'));
  const store = new SqliteStore(dataDir);
  try {
    const t0 = Date.now() - 60_000;
    // The heavy user first (so its rows are the oldest), then everybody else.
    for (let from = 0; from <= blocked; from += 5000) {
      await store.ingest(Array.from({ length: Math.min(5000, blocked + 1 - from) }, (_, i) => event('heavy', from + i, t0)), 0);
    }
    await store.ingest(Array.from({ length: OTHER_USERS }, (_, i) => event(`user-${i}`, 0, t0 + 1)), 0);
    // The heavy user's oldest event fails and waits an hour: the N behind it are blocked.
    const [head] = await store.claim(DESTINATION, Date.now(), 1, 60_000, 'head');
    if (head.userKey !== 'heavy') throw new Error('expected the heavy user first');
    const attempt = { number: 1, at: Date.now(), status: 503, error: 'HTTP 503', response: null, durationMs: 1 };
    await store.settle(DESTINATION, 'head', [{ id: head.id, state: 'failed', nextAt: Date.now() + 3600_000, attempt }], Date.now());

    const ms = [];
    let claimed = 0;
    for (let r = 0; r < ROUNDS + 5; r++) {
      const started = performance.now();
      const rows = await store.claim(DESTINATION, Date.now(), OTHER_USERS, 60_000, `round-${r}`);
      const took = performance.now() - started;
      if (r >= 5) ms.push(took); // the first rounds warm the page cache
      claimed = rows.length;
      await store.settle(DESTINATION, `round-${r}`, rows.map((row) => ({ id: row.id, state: 'released' })), Date.now());
    }
    ms.sort((a, b) => a - b);
    return { blocked, claimed, p50: ms[Math.floor(ms.length / 2)], p95: ms[Math.floor(ms.length * 0.95)] };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runClaimBench(sizes = [1_000, 10_000, 100_000]) {
  const SqliteStore = await loadSqliteStore();
  const rows = [];
  for (const n of sizes) rows.push(await measure(SqliteStore, n));
  return rows;
}

export function claimTable(rows) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  return [
    `| blocked deliveries of one user (behind its failing event) | claim p50 | claim p95 | claimed (limit ${OTHER_USERS}, ${OTHER_USERS} other users due) |`,
    '|---|---|---|---|',
    ...rows.map((r) => `| ${f(r.blocked)} | ${r.p50.toFixed(2)} ms | ${r.p95.toFixed(2)} ms | ${r.claimed} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runClaimBench().then((r) => console.log(claimTable(r)));
}
