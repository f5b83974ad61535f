// Profiles Ferry's track() path in headless Chromium with the CDP Profiler: the <script> build
// without minification (readable names), a fresh page, the cold calls and then warmed ones, as
// bench:sdk makes them. Prints the functions with the most self time and writes the
// .cpuprofile (open it in Chromium's DevTools, Performance panel).
//   node bench/peers/profile-track.mjs [out.cpuprofile]
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import { chromium } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const root = new URL('../../', import.meta.url);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];
const out = process.argv[2] ?? 'ferry-track.cpuprofile';

const bundle = await rollup({
  input: new URL('src/sdk/global.ts', root).pathname,
  plugins: [resolve({ browser: true }), typescript({ tsconfig: new URL('tsconfig.json', root).pathname, include: ['src/**/*.ts'], compilerOptions: { declaration: false, sourceMap: false, outDir: undefined }, outputToFilesystem: false })],
  onwarn: () => {},
});
const code = (await bundle.generate({ format: 'iife' })).output[0].code;

const server = createServer((req, res) => {
  if (req.url === '/ferry.js') return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(code);
  if (req.url === '/') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><title>profile</title><script src="/ferry.js"></script><script>window.ready = ferry.load({ writeKey: 'profile', endpoint: location.origin });</script>`);
  if (req.method === 'POST') return req.resume().on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true,"accepted":0,"duplicates":0,"rejected":[]}'));
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.evaluate(() => window.ready);
  // As bench:sdk does: the page sits a second after load() before its first call.
  await page.waitForTimeout(1_000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const timing = await page.evaluate(async () => {
    const nextTask = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
    const props = (i) => ({ sku: `SKU-${i}`, price: 19.99, currency: 'EUR', quantity: 1 + (i % 3), category: 'shoes' });
    const run = async (calls, perTask) => {
      const t0 = performance.now();
      for (let made = 0; made < calls; made += perTask) {
        for (let i = 0; i < perTask; i++) window.ferry.track('Product Viewed', props(made + i));
        await nextTask();
      }
      return ((performance.now() - t0) * 1000) / calls;
    };
    return { coldUsPerCall: await run(1000, 50), warmUsPerCall: await run(5000, 20) };
  });
  const { profile } = await cdp.send('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  // Self time per function, from the samples.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.split('/').pop()}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + (dt[i + 1] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`cold ${timing.coldUsPerCall.toFixed(2)} µs/call, warm ${timing.warmUsPerCall.toFixed(2)} µs/call (with microtasks and task hops); profile in ${out}\n`);
  console.log('| self time | share | function |\n|---|---|---|');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`| ${(v / 1000).toFixed(1)} ms | ${((100 * v) / total).toFixed(1)} % | ${k} |`);
} finally {
  await browser.close();
  server.close();
}
