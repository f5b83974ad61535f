// Loopback load generation for the server benchmark: pre-built gzip batches, keep-alive
// connections, closed-loop (N requests in flight) and open-loop (fixed rate) modes.
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';

export function makeBatches(count, perBatch, writeKey, users = 1000) {
  const out = [];
  const run = randomUUID().slice(0, 8);
  for (let b = 0; b < count; b++) {
    const batch = [];
    for (let i = 0; i < perBatch; i++) {
      const n = b * perBatch + i;
      batch.push({
        type: 'track',
        event: n % 3 ? 'Product Viewed' : 'Order Completed',
        messageId: `${run}-${n}`,
        userId: `user-${n % users}`,
        properties: { sku: `SKU-${n % 977}`, price: 19.99, currency: 'EUR', n },
        context: { library: { name: 'bench', version: '1' }, page: { path: '/shop', url: 'https://shop.example/shop' } },
        originalTimestamp: new Date().toISOString(),
      });
    }
    out.push(gzipSync(JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey })));
  }
  return out;
}

function send(agent, url, body) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'text/plain', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};

/** `concurrency` requests always in flight until the bodies are used up. */
export async function closedLoop(url, bodies, perBatch, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const lat = [];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const r = await send(agent, url, body);
        if (r.status !== 200) failed++;
        lat.push(r.ms);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return { concurrency, eventsPerSec: ((bodies.length - failed) * perBatch) / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99), failed };
}

/** Requests started at a fixed rate whatever the answers: latency under a given load. */
export async function openLoop(url, bodies, perBatch, batchesPerSec) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const lat = [];
  let failed = 0;
  const interval = 1000 / batchesPerSec;
  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < bodies.length; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(agent, url, bodies[i]).then((r) => {
      if (r.status !== 200) failed++;
      lat.push(r.ms);
    }));
  }
  await Promise.all(pending);
  const secs = (performance.now() - t0) / 1000;
  agent.destroy();
  return { eventsPerSec: ((bodies.length - failed) * perBatch) / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99), failed };
}
