import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, validateConfig } from '../src/server/config.js';
import { startServer } from '../src/server/server.js';
import { packageRoot } from '../src/server/package-root.js';
import { eventStory } from '../src/server/admin/routes.js';
import { LOOPBACK_HOSTS, operatorGuard } from '../src/server/http/operator-guard.js';

export const DEMO_WRITE_KEY = 'demo-write-key';
export const POISON_EVENT = 'Poison Pill';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png' };

type WebhookMode = 'ok' | 'fail' | 'slow';

/**
 * The "CRM" of the demo: a real HTTP endpoint on 127.0.0.1 that the demo can break. It refuses
 * the poison event with 400, like an API validating its input.
 */
async function startDemoWebhook() {
  const state = { mode: 'ok' as WebhookMode, received: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const answer = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (state.mode === 'fail') return answer(503, { error: 'the CRM is down (demo switch)' });
      let batch: Array<{ event?: string }> = [];
      try {
        batch = (JSON.parse(Buffer.concat(chunks).toString()) as { batch: typeof batch }).batch;
      } catch {
        return answer(400, { error: 'not JSON' });
      }
      if (batch.some((e) => e.event === POISON_EVENT)) return answer(400, { error: `"${POISON_EVENT}" has no valid "email" trait` });
      const done = () => {
        state.received += batch.length;
        answer(200, { ok: true, received: batch.length });
      };
      if (state.mode === 'slow') setTimeout(done, 2000);
      else done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm/events`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** `ferry demo`: the reference server with an embedded SQLite store, three destinations, and the demo page. */
export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '8080' }, 'admin-port': { type: 'string', default: '8081' }, host: { type: 'string', default: '127.0.0.1' }, data: { type: 'string', default: './data/demo' } } });
  const root = packageRoot();
  const webhook = await startDemoWebhook();
  let collectorDown = false;
  const retry = { baseMs: 1000, capMs: 15_000, maxAttempts: 100, windowMs: 24 * 3600_000 };
  let config;
  try {
    config = validateConfig({
      port: Number(values.port),
      host: values.host,
      dataDir: values.data,
      logLevel: 'warn',
      admin: { port: Number(values['admin-port']) },
      sources: [{ name: 'demo-site', writeKeys: [DEMO_WRITE_KEY] }],
      destinations: [
        { name: 'live-feed', type: 'memory', retry },
        { name: 'crm-webhook', type: 'webhook', url: webhook.url, maxBatchEvents: 50, timeoutMs: 5000, retry },
        { name: 'archive', type: 'file', path: resolve(values.data!, 'archive'), retry },
      ],
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ferry demo: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const server = await startServer(config, {
    extend(app, { router, store }) {
      const serve = (prefix: string, dir: string) =>
        app.get(`${prefix}*`, async (req, reply) => {
          const rel = normalize((req.params as { '*': string })['*'] || 'index.html');
          if (rel.startsWith('..')) return reply.code(404).send();
          try {
            const file = await readFile(join(dir, rel));
            return reply.header('Cache-Control', 'no-store').type(TYPES[rel.slice(rel.lastIndexOf('.'))] ?? 'application/octet-stream').send(file);
          } catch {
            return reply.code(404).send({ ok: false, code: 'not_found', error: `no file ${rel}` });
          }
        });
      serve('/sdk/', join(root, 'dist'));
      serve('/demo/', join(root, 'demo', 'public'));
      app.get('/', async (_req, reply) => reply.redirect('/demo/'));

      // The "collector offline" switch: the ingestion API answers 503 + Retry-After.
      app.addHook('onRequest', async (req, reply) => {
        if (collectorDown && req.method === 'POST' && req.url.startsWith('/v1/')) {
          return reply.code(503).header('Retry-After', '2').send({ ok: false, code: 'overloaded', error: 'the demo switched the collector off' });
        }
      });

      // The demo page's own operator console (state, stored events with their traits, the
      // switches) sits on the public listener, so it gets the operator listener's guard: a Host
      // that names this machine (a rebinding page sends its own name) and no page of another
      // origin (a text/plain POST needs no preflight). Any IP literal is allowed: a phone opens
      // the demo by the machine's LAN address, and no DNS answer can rebind an address.
      void app.register(async (api) => {
        await api.register(operatorGuard, { allowedHosts: [...LOOPBACK_HOSTS, config.host.toLowerCase()], allowIpLiterals: true, surface: 'demo API' });
        const memory = router.memory('live-feed')!;
        api.get('/demo/api/state', async () => {
          const metric = await server.metrics.events.get();
          const sum = (outcome: string) => metric.values.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
          const now = Date.now();
          const destinations = await Promise.all(router.status().map(async (s) => ({ ...s, counts: await store.counts(s.name, now) })));
          const failing = await store.deliveries({ state: 'failed', limit: 50 });
          return {
            now,
            collectorDown,
            received: { accepted: sum('accepted'), duplicates: sum('duplicate'), rejected: sum('rejected') },
            switches: { collectorDown, webhook: webhook.state.mode, memory: memory.behaviour.mode },
            destinations,
            nextRetries: failing.map((d) => ({ destination: d.destination, messageId: d.messageId, nextAt: d.nextAt, attempts: d.attempts, lastStatus: d.lastStatus })),
            recent: (await store.events({ limit: 15, newestFirst: true })).map((e) => ({ seq: e.seq, messageId: e.messageId, type: e.type, name: e.event.event ?? e.event.name ?? '', userKey: e.userKey, receivedAt: e.receivedAt })),
            feed: memory.received.slice(-8).reverse().map((e) => ({ messageId: e.messageId, type: e.type, name: e.event ?? e.name ?? '' })),
          };
        });

        // The page's timeline. The demo page is its own operator console on purpose (it shows
        // stored events); a real deployment reads stories from the operator listener only.
        api.get('/demo/api/events/:messageId', async (req) => eventStory(store, (req.params as { messageId: string }).messageId));

        api.post('/demo/api/switch', async (req) => {
          const body = JSON.parse(String(req.body ?? '{}')) as { collectorDown?: boolean; webhook?: WebhookMode; memory?: 'ok' | 'fail' };
          if (typeof body.collectorDown === 'boolean') collectorDown = body.collectorDown;
          if (body.webhook && ['ok', 'fail', 'slow'].includes(body.webhook)) webhook.state.mode = body.webhook;
          if (body.memory && ['ok', 'fail'].includes(body.memory)) memory.behaviour = { ...memory.behaviour, mode: body.memory };
          // Healing a destination should show at once, not after the breaker's next probe.
          if (body.webhook === 'ok' || body.memory === 'ok') {
            await store.retryNow({}, Date.now());
            router.probeNow();
          }
          return { ok: true, collectorDown, webhook: webhook.state.mode, memory: memory.behaviour.mode };
        });
      });
    },
  });
  process.stdout.write(
    `\nFerry demo is running.\n` +
      `  Open  http://${config.host}:${server.port}/demo/          (the <script> snippet)\n` +
      `        http://${config.host}:${server.port}/demo/esm.html  (the npm / ES module way)\n` +
      `  Collector: http://${config.host}:${server.port}/v1/batch, write key "${DEMO_WRITE_KEY}"\n` +
      `  Operator API (admin, metrics): http://127.0.0.1:${server.adminPort}/admin/destinations\n` +
      `  Data: ${resolve(config.dataDir)} (SQLite, and archive/ for the file destination)\n` +
      `  Stop with Ctrl+C.\n\n` +
      `ferry listening on http://${config.host}:${server.port}\n` +
      `ferry operator API on http://127.0.0.1:${server.adminPort}\n`,
  );
  const stop = () => void server.stop().then(() => webhook.close()).then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
