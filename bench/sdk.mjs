// SDK benchmark in headless Chromium: bundle sizes, track() cost against building the same
// event, burst persistence time, wire bytes per event. Prints a markdown table.
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import { chromium } from '@playwright/test';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { sizeTable } from './sdk-size.mjs';

const root = new URL('../', import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

async function benchBundle() {
  const bundle = await rollup({
    input: new URL('bench/sdk-entry.ts', root).pathname,
    plugins: [resolve({ browser: true }), typescript({ tsconfig: new URL('tsconfig.json', root).pathname, include: ['src/**/*.ts', 'bench/**/*.ts'], compilerOptions: { declaration: false, sourceMap: false, outDir: undefined }, outputToFilesystem: false })],
    onwarn: () => {},
  });
  const { output } = await bundle.generate({ format: 'iife' });
  return output[0].code;
}

export async function runSdkBench() {
  const sizes = ['dist/ferry.iife.js', 'dist/sdk/index.js'].map((f) => ({ file: f, bytes: readFileSync(new URL(f, root)).length, gzip: gzipSync(readFileSync(new URL(f, root)), { level: 9 }).length }));
  const code = await benchBundle();
  // A collector that never answers fast: nothing leaves the queue while we measure.
  const server = createServer((req, res) => {
    // Cross-origin isolation gives performance.now() 5 µs resolution instead of 100 µs.
    const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (req.url === '/bench.js') return res.writeHead(200, { 'Content-Type': 'text/javascript', ...isolated }).end(code);
    if (req.url === '/') return res.writeHead(200, { 'Content-Type': 'text/html', ...isolated }).end('<!doctype html><title>bench</title><script src="/bench.js"></script>');
    res.writeHead(503).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const result = await page.evaluate(async () => {
      const { Analytics, buildEvent, envelope } = globalThis.ferryBench;
      const a = new Analytics();
      await a.load({ writeKey: 'bench', endpoint: location.origin, flushIntervalMs: 3_600_000, flushAt: 10_000, maxQueueEvents: 100_000, retry: { baseMs: 3_600_000, capMs: 3_600_000 } });
      const props = (i) => ({ sku: `SKU-${i}`, price: 19.99, currency: 'EUR', quantity: 1 + (i % 3), category: 'shoes' });
      const identity = a.user();
      const CHUNK = 20;
      const CHUNKS = 300;
      const settle = () => a.queue.settled();
      // Warm up both paths so the JIT has seen them.
      for (let i = 0; i < 2000; i++) buildEvent('track', { event: 'Product Viewed', properties: props(i) }, identity, undefined, Date.now());
      for (let i = 0; i < 2000; i++) a.track('Product Viewed', props(i));
      await settle();
      const timeChunks = (fn) => {
        const perCall = [];
        for (let c = 0; c < CHUNKS; c++) {
          const t0 = performance.now();
          for (let i = 0; i < CHUNK; i++) fn(c * CHUNK + i);
          perCall.push(((performance.now() - t0) * 1000) / CHUNK);
        }
        return perCall;
      };
      const build = [];
      const track = [];
      // Interleave rounds so both see the same machine state.
      for (let round = 0; round < 5; round++) {
        build.push(...timeChunks((i) => buildEvent('track', { event: 'Product Viewed', properties: props(i) }, identity, undefined, Date.now())));
        track.push(...timeChunks((i) => a.track('Product Viewed', props(i))));
        await settle();
      }
      // Burst: 10,000 calls into a fresh queue, until all are in IndexedDB (the count is read back from the store).
      a.close();
      const b = new Analytics();
      await b.load({ writeKey: 'burst', endpoint: location.origin, flushIntervalMs: 3_600_000, flushAt: 10_000, maxQueueEvents: 100_000, retry: { baseMs: 3_600_000, capMs: 3_600_000 } });
      const before = (await b.state()).queued;
      const t0 = performance.now();
      for (let i = 0; i < 10_000; i++) b.track('Burst', props(i));
      const callsMs = performance.now() - t0;
      await b.queue.settled();
      const persistedMs = performance.now() - t0;
      const after = (await b.state()).queued;
      // Wire bytes: 100 realistic events, gzip by CompressionStream as sent, against plain JSON.
      const records = [];
      for (let i = 0; i < 100; i++) {
        const e = buildEvent('track', { event: i % 2 ? 'Product Viewed' : 'Product Added', properties: props(i) }, identity, undefined, Date.now() + i * 137);
        records.push({ json: JSON.stringify(e) });
      }
      const body = envelope(records, 'bench', new Date().toISOString());
      const plain = new TextEncoder().encode(body);
      const gz = new Uint8Array(await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
      return { isolated: crossOriginIsolated, build, track, burst: { calls: 10_000, callsMs, persistedMs, stored: after - before }, wire: { jsonBytes: plain.length, gzipBytes: gz.length, events: 100 } };
    });
    const q = (xs, p) => {
      const s = [...xs].sort((x, y) => x - y);
      return s[Math.min(s.length - 1, Math.floor(p * s.length))];
    };
    return {
      sizes,
      track: { median: q(result.track, 0.5), p99: q(result.track, 0.99) },
      build: { median: q(result.build, 0.5), p99: q(result.build, 0.99) },
      calls: result.track.length * 20,
      isolated: result.isolated,
      burst: result.burst,
      wire: result.wire,
    };
  } finally {
    await browser.close();
    server.close();
  }
}

export function sdkTable(r) {
  const us = (x) => `${x.toFixed(2)} µs`;
  const lines = [
    '| measure | value | target |',
    '|---|---|---|',
    ...r.sizes.map((s) => `| ${s.file} (minified) | ${s.bytes} B, **${s.gzip} B gzip** | ≤ 9216 B gzip |`),
    `| track(): median / p99 per call (${r.calls} calls, timed in chunks of 20) | **${us(r.track.median)}** / ${us(r.track.p99)} | ≤ 1.5× build, p99 ≤ 50 µs |`,
    `| building the same event only: median / p99 | ${us(r.build.median)} / ${us(r.build.p99)} | — |`,
    `| track() ÷ build (median) | **${(r.track.median / r.build.median).toFixed(2)}×** | ≤ 1.5× |`,
    `| 10,000-event burst: calls return / all in IndexedDB | ${r.burst.callsMs.toFixed(0)} ms / **${r.burst.persistedMs.toFixed(0)} ms** (${r.burst.stored} stored) | ≤ 1000 ms |`,
    `| wire bytes per event, 100-event batch: JSON / gzip | ${(r.wire.jsonBytes / r.wire.events).toFixed(0)} B / **${(r.wire.gzipBytes / r.wire.events).toFixed(1)} B** (${(r.wire.jsonBytes / r.wire.gzipBytes).toFixed(1)}× fewer) | ≥ 12× fewer |`,
  ];
  return `${lines.join('\n')}\n\n${sizeTable(new URL('dist/ferry.iife.js', root).pathname)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runSdkBench().then((r) => console.log(sdkTable(r)));
}
