// Server benchmark: a `ferry serve` process with its SQLite file (synchronous=FULL), driven from
// this process on loopback with batches of 100 gzip events. Prints a markdown table.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, makeBatches, openLoop } from './load.mjs';

const bin = new URL('../bin/ferry.js', import.meta.url).pathname;
const PER_BATCH = 100;

export async function startFerry(args = [], extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  const proc = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data', dataDir, '--log-level', 'error', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...extraEnv } });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`ferry exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function runServerBench({ levels = [1, 8, 32, 64], batchesPerLevel = 1500 } = {}) {
  const key = 'bench-key';
  const ferry = await startFerry(['--write-key', key]);
  const url = `${ferry.url}/v1/batch`;
  try {
    // Warm up the JIT and SQLite's page cache.
    await closedLoop(url, makeBatches(200, PER_BATCH, key), PER_BATCH, 8);
    const closed = [];
    for (const c of levels) closed.push(await closedLoop(url, makeBatches(batchesPerLevel, PER_BATCH, key), PER_BATCH, c));
    const best = Math.max(...closed.map((r) => r.eventsPerSec));
    const halfRate = best / 2 / PER_BATCH;
    const open = await openLoop(url, makeBatches(Math.round(halfRate * 5), PER_BATCH, key), PER_BATCH, halfRate);
    return { closed, open, best };
  } finally {
    await ferry.stop();
  }
}

export function serverTable(r) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const ms = (x) => `${x.toFixed(1)} ms`;
  return [
    '| load (batches of 100 gzip events) | durable events/s | p50 | p99 | failed requests |',
    '|---|---|---|---|---|',
    ...r.closed.map((c) => `| ${c.concurrency} request${c.concurrency > 1 ? 's' : ''} in flight | ${f(c.eventsPerSec)} | ${ms(c.p50)} | ${ms(c.p99)} | ${c.failed} |`),
    `| fixed rate at half the best (${f(r.best / 2)} events/s offered) | ${f(r.open.eventsPerSec)} | ${ms(r.open.p50)} | **${ms(r.open.p99)}** | ${r.open.failed} |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runServerBench().then((r) => console.log(serverTable(r)));
}
