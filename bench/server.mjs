// Server benchmark: `ferry serve` (its SQLite file at synchronous=FULL) beside two references
// started the same way, each its own process: the parse-only ceiling (ref-parse-only.mjs) and a
// minimal durable collector (ref-durable.mjs). All are driven from this process on loopback with
// batches of 100 gzip events, level by level in turn, so each Ferry row is compared with
// references measured moments apart on the same (shared, noisy) machine. Prints markdown tables.
//
// FERRY_BENCH_COMPARE=/other/checkout/bin/ferry.js adds that build as a fourth server: an A/B of
// two Ferry builds in one run. FERRY_BENCH_BATCHES sets the batches of 100 events per row (1,500).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, makeBatches, openLoop } from './load.mjs';

const bin = new URL('../bin/ferry.js', import.meta.url).pathname;
const PER_BATCH = 100;
const KEY = 'bench-key';

/** Starts a server script that prints "listening on http://host:port" and stops on SIGTERM. */
async function startProcess(script, args, extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  // FERRY_BENCH_NODE_ARGS: node flags for the servers (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", workers included).
  const nodeArgs = (process.env.FERRY_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args(dataDir)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...extraEnv } });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    cpuSeconds: () => cpuSecondsOf(proc.pid),
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * CPU time (user + system, all threads) a process has used so far, from Linux's /proc; NaN
 * elsewhere. On a shared machine, CPU per event is steadier than events/s: it does not count
 * the time another process held the core.
 */
function cpuSecondsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** A load run, with the server's CPU per event (µs) over it. */
async function measured(server, run, events) {
  const cpu0 = server.cpuSeconds();
  const r = await run();
  return { ...r, cpuUsPerEvent: ((server.cpuSeconds() - cpu0) * 1e6) / events };
}

export function startFerry(args = [], extraEnv = {}, ferryBin = bin) {
  // The operator listener on a free port too, so that two builds can run side by side.
  return startProcess(ferryBin, (dataDir) => ['serve', '--port', '0', '--admin-port', '0', '--data', dataDir, '--log-level', 'error', ...args], extraEnv);
}

const ref = (name) => new URL(`./${name}`, import.meta.url).pathname;

export async function runServerBench({ levels = [1, 8, 32, 64], batchesPerLevel = Number(process.env.FERRY_BENCH_BATCHES ?? 1500) } = {}) {
  const servers = [
    { name: 'parse only', start: () => startProcess(ref('ref-parse-only.mjs'), () => []) },
    { name: 'durable', start: () => startProcess(ref('ref-durable.mjs'), (dir) => [dir]) },
    { name: 'ferry', start: () => startFerry(['--write-key', KEY]) },
  ];
  const compare = process.env.FERRY_BENCH_COMPARE;
  if (compare) servers.push({ name: 'ferry (compare)', start: () => startFerry(['--write-key', KEY], {}, compare) });
  const running = [];
  try {
    for (const s of servers) running.push({ ...s, server: await s.start() });
    const urlOf = (s) => `${s.server.url}/v1/batch`;
    // Warm up the JIT and SQLite's page cache of each.
    for (const s of running) await closedLoop(urlOf(s), makeBatches(200, PER_BATCH, KEY), PER_BATCH, 8);
    const closed = [];
    for (const c of levels) {
      const row = { concurrency: c };
      for (const s of running) {
        const bodies = makeBatches(batchesPerLevel, PER_BATCH, KEY);
        row[s.name] = await measured(s.server, () => closedLoop(urlOf(s), bodies, PER_BATCH, c), bodies.length * PER_BATCH);
      }
      closed.push(row);
    }
    // Half of Ferry's best, offered for 5 s to Ferry and to the durable reference alike.
    const best = Math.max(...closed.map((r) => r.ferry.eventsPerSec));
    const halfRate = best / 2 / PER_BATCH;
    const open = { offered: best / 2 };
    for (const s of running) {
      if (s.name === 'parse only') continue;
      const bodies = makeBatches(Math.round(halfRate * 5), PER_BATCH, KEY);
      open[s.name] = await measured(s.server, () => openLoop(urlOf(s), bodies, PER_BATCH, halfRate), bodies.length * PER_BATCH);
    }
    return { closed, open, compared: running.map((s) => s.name).filter((n) => n.startsWith('ferry')) };
  } finally {
    for (const s of running) await s.server.stop();
  }
}

const f = (x) => Math.round(x).toLocaleString('en-US');
const ms = (x) => `${x.toFixed(1)} ms`;
const times = (a, b) => `${(a / b).toFixed(2)}×`;
const us = (x) => (Number.isNaN(x) ? '—' : `${x.toFixed(1)} µs`);
const inFlight = (c) => `${c} request${c > 1 ? 's' : ''} in flight`;

export function serverTable(r) {
  const refs = [
    '| references (closed loop) | parse only: events/s | p50 | p99 | CPU per event | durable: events/s | p50 | p99 | CPU per event |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.closed.map((c) => {
      const [p, d] = [c['parse only'], c.durable];
      return `| ${inFlight(c.concurrency)} | ${f(p.eventsPerSec)} | ${ms(p.p50)} | ${ms(p.p99)} | ${us(p.cpuUsPerEvent)} | ${f(d.eventsPerSec)} | ${ms(d.p50)} | ${ms(d.p99)} | ${us(d.cpuUsPerEvent)} |`;
    }),
    `| fixed rate, ${f(r.open.offered)} events/s offered | — | — | — | — | ${f(r.open.durable.eventsPerSec)} | ${ms(r.open.durable.p50)} | ${ms(r.open.durable.p99)} | ${us(r.open.durable.cpuUsPerEvent)} |`,
  ];
  const ferry = (name) => [
    `| ${name} (batches of 100 gzip events) | durable events/s | p50 | p99 | CPU per event | failed | ÷ parse only (events/s) | ÷ durable (events/s) | ÷ durable (p99) |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...r.closed.map((c) => {
      const x = c[name];
      return `| ${inFlight(c.concurrency)} | ${f(x.eventsPerSec)} | ${ms(x.p50)} | ${ms(x.p99)} | ${us(x.cpuUsPerEvent)} | ${x.failed} | ${times(x.eventsPerSec, c['parse only'].eventsPerSec)} | **${times(x.eventsPerSec, c.durable.eventsPerSec)}** | **${times(x.p99, c.durable.p99)}** |`;
    }),
    (() => {
      const x = r.open[name];
      return `| fixed rate at half Ferry's best (${f(r.open.offered)} events/s offered) | ${f(x.eventsPerSec)} | ${ms(x.p50)} | **${ms(x.p99)}** | ${us(x.cpuUsPerEvent)} | ${x.failed} | — | ${times(x.eventsPerSec, r.open.durable.eventsPerSec)} | ${times(x.p99, r.open.durable.p99)} |`;
    })(),
  ];
  return [refs, ...r.compared.map(ferry)].map((t) => t.join('\n')).join('\n\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runServerBench().then((r) => console.log(serverTable(r)));
}
