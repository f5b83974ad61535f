// PostgreSQL benchmark: ingestion with 1 and 2 `ferry serve --role ingest` processes, and routing
// with 1 and 2 `--role route` processes, all on one local cluster (test/helpers/postgres-cluster.mjs).
// This machine's cores are few and shared with PostgreSQL itself, so the rows cannot show
// scale-out; they show instead what each process costs (CPU ms per 1,000 events) as processes are
// added: lock waits and claim conflicts would make it grow.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop, makeBatches } from './load.mjs';
import { createDatabase, startPostgres } from '../test/helpers/postgres-cluster.mjs';

const bin = new URL('../bin/ferry.js', import.meta.url).pathname;
const KEY = 'pg-bench-key';

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function serve(config, role) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-bench-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ...config, role }));
  const proc = spawn(process.execPath, [bin, 'serve', '--config', file, '--port', '0', '--admin-port', '0', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (role === 'route' && /operator API/.test(out)) resolve(0);
      const m = out.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`ferry exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/v1/batch`,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sink() {
  const state = { count: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.count += JSON.parse(Buffer.concat(chunks).toString()).batch.length;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ state, url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) })));
}

async function ingestRun(cluster, processes, batchesPerProcess) {
  const url = await createDatabase(cluster.url, `bench_ingest_${processes}_${Date.now()}`);
  const config = { store: { kind: 'postgres', url }, sources: [{ name: 'bench', writeKeys: [KEY] }], destinations: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/' }] };
  const servers = [];
  for (let i = 0; i < processes; i++) servers.push(await serve(config, 'ingest'));
  try {
    await Promise.all(servers.map((s) => closedLoop(s.url, makeBatches(30, 100, KEY), 100, 4)));
    const before = servers.map((s) => cpuSeconds(s.pid));
    const t0 = performance.now();
    const runs = await Promise.all(servers.map((s) => closedLoop(s.url, makeBatches(batchesPerProcess, 100, KEY), 100, 8)));
    const secs = (performance.now() - t0) / 1000;
    const events = batchesPerProcess * 100 * processes - runs.reduce((n, r) => n + r.failed * 100, 0);
    const cpuMs = servers.map((s, i) => ((cpuSeconds(s.pid) - before[i]) * 1000) / ((batchesPerProcess * 100) / 1000));
    return { processes, eventsPerSec: events / secs, cpuMsPer1000: cpuMs };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function routeRun(cluster, processes, events) {
  const url = await createDatabase(cluster.url, `bench_route_${processes}_${Date.now()}`);
  const s = await sink();
  const config = {
    store: { kind: 'postgres', url },
    sources: [{ name: 'bench', writeKeys: [KEY] }],
    destinations: [{ name: 'hook', type: 'webhook', url: s.url, maxBatchEvents: 500, concurrency: 2 }],
  };
  const ingest = await serve(config, 'ingest');
  try {
    await closedLoop(ingest.url, makeBatches(events / 100, 100, KEY, 1000), 100, 8);
    const routers = [];
    for (let i = 0; i < processes; i++) routers.push(await serve(config, 'route'));
    const before = routers.map((r) => cpuSeconds(r.pid));
    const t0 = performance.now();
    const deadline = Date.now() + 300_000;
    while (s.state.count < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const secs = (performance.now() - t0) / 1000;
    const cpuMs = routers.map((r, i) => ((cpuSeconds(r.pid) - before[i]) * 1000) / (events / 1000));
    await Promise.all(routers.map((r) => r.stop()));
    return { processes, delivered: s.state.count, eventsPerSec: s.state.count / secs, cpuMsPer1000: cpuMs };
  } finally {
    await ingest.stop();
    await s.close();
  }
}

export async function runPostgresBench({ batchesPerProcess = 300, routeEvents = 20_000 } = {}) {
  const cluster = await startPostgres();
  try {
    const ingest = [await ingestRun(cluster, 1, batchesPerProcess), await ingestRun(cluster, 2, batchesPerProcess)];
    const route = [await routeRun(cluster, 1, routeEvents), await routeRun(cluster, 2, routeEvents)];
    return { cores: cpus().length, ingest, route };
  } finally {
    await cluster.stop();
  }
}

export function postgresTable(r) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const per = (xs) => xs.map((x) => `${x.toFixed(0)} ms`).join(' + ');
  return [
    `${r.cores} cores, shared by PostgreSQL, the ferry processes and the load generator: these rows cannot show scale-out; the last column shows whether a process costs more when another runs beside it.`,
    '',
    '| PostgreSQL (one local cluster) | events/s | CPU per 1,000 events, each ferry process (routing: per 1,000 of all deliveries; the sum is their cost) |',
    '|---|---|---|',
    ...r.ingest.map((x) => `| ingest, ${x.processes} process${x.processes > 1 ? 'es' : ''} (batches of 100, 8 in flight each) | ${f(x.eventsPerSec)} | ${per(x.cpuMsPer1000)} |`),
    ...r.route.map((x) => `| routing, ${x.processes} route process${x.processes > 1 ? 'es' : ''} (backlog of ${f(x.delivered)}, 1,000 users) | ${f(x.eventsPerSec)} | ${per(x.cpuMsPer1000)} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(postgresTable(await runPostgresBench()));
