// Routing benchmark: events are ingested while the destinations answer 503 (the router pauses
// them), then the healthy ones come back and we time how fast the backlog drains to local
// webhook sinks, verifying per-user order. A second run adds a destination that stays dead.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop, makeBatches } from './load.mjs';
import { startFerry } from './server.mjs';

function sink() {
  const state = { up: false, count: 0, firstAt: 0, lastAt: 0, lastSeq: new Map(), orderErrors: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!state.up) return res.writeHead(503).end();
      const { batch } = JSON.parse(Buffer.concat(chunks).toString());
      const now = performance.now();
      if (!state.firstAt) state.firstAt = now;
      state.lastAt = now;
      for (const e of batch) {
        const n = e.properties.n;
        const prev = state.lastSeq.get(e.userId) ?? -1;
        if (n <= prev) state.orderErrors++;
        state.lastSeq.set(e.userId, n);
      }
      state.count += batch.length;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ state, url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) })));
}

async function drain({ healthy, dead, events, concurrency = 1 }) {
  const sinks = await Promise.all(Array.from({ length: healthy + dead }, sink));
  const key = 'route-key';
  const destinations = sinks.map((s, i) => ({ name: `${i < healthy ? 'healthy' : 'dead'}-${i}`, type: 'webhook', url: s.url, maxBatchEvents: 500, concurrency, retry: { baseMs: 50, capMs: 1000, maxAttempts: 1000, windowMs: 3_600_000 } }));
  const config = join(process.env.TMPDIR ?? '/tmp', `ferry-route-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ sources: [{ name: 'bench', writeKeys: [key] }], destinations }));
  const ferry = await startFerry(['--config', config]);
  try {
    await closedLoop(`${ferry.url}/v1/batch`, makeBatches(events / 100, 100, key, 1000), 100, 8);
    for (const s of sinks.slice(0, healthy)) s.state.up = true;
    const deadline = Date.now() + 120_000;
    while (sinks.slice(0, healthy).some((s) => s.state.count < events) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return sinks.slice(0, healthy).map((s) => ({ delivered: s.state.count, eventsPerSec: s.state.count / ((s.state.lastAt - s.state.firstAt) / 1000), orderErrors: s.state.orderErrors }));
  } finally {
    await ferry.stop();
    await Promise.all(sinks.map((s) => s.close()));
  }
}

export async function runRoutingBench(events = 50_000) {
  const one = await drain({ healthy: 1, dead: 0, events });
  const oneConcurrent = await drain({ healthy: 1, dead: 0, events, concurrency: 2 });
  const two = await drain({ healthy: 2, dead: 0, events });
  const twoPlusDead = await drain({ healthy: 2, dead: 1, events });
  return { events, one, oneConcurrent, two, twoPlusDead };
}

export function routingTable(r) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const row = (label, runs) => `| ${label} | ${runs.map((x) => f(x.eventsPerSec)).join(' / ')} | ${runs.map((x) => x.delivered).join(' / ')} | ${runs.reduce((n, x) => n + x.orderErrors, 0)} |`;
  return [
    `| routing (${f(r.events)} events, 1,000 users, batches of 500, local webhook sinks) | events/s per healthy destination | delivered | per-user order errors |`,
    '|---|---|---|---|',
    row('1 destination', r.one),
    row('1 destination, `concurrency: 2`', r.oneConcurrent),
    row('2 healthy destinations', r.two),
    row('2 healthy + 1 dead (503, paused by the breaker)', r.twoPlusDead),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runRoutingBench().then((r) => console.log(routingTable(r)));
}
