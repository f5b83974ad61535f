import { readFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { validateConfig } from '../src/server/config.js';
import { startServer } from '../src/server/server.js';

export const DEMO_WRITE_KEY = 'demo-write-key';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml' };

/** `ferry demo`: the reference server with an embedded SQLite store, plus the demo page. */
export async function runDemo(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string', default: '8080' }, data: { type: 'string', default: './data/demo' } } });
  const root = packageRoot();
  const config = validateConfig({
    port: Number(values.port),
    dataDir: values.data,
    logLevel: 'warn',
    sources: [{ name: 'demo', writeKeys: [DEMO_WRITE_KEY] }],
  });
  const server = await startServer(config, {
    extend(app) {
      const serve = (prefix: string, dir: string) =>
        app.get(`${prefix}*`, async (req, reply) => {
          const rel = normalize((req.params as { '*': string })['*'] || 'index.html');
          if (rel.startsWith('..')) return reply.code(404).send();
          try {
            const file = await readFile(join(dir, rel));
            return reply.type(TYPES[rel.slice(rel.lastIndexOf('.'))] ?? 'application/octet-stream').send(file);
          } catch {
            return reply.code(404).send({ ok: false, code: 'not_found', error: `no file ${rel}` });
          }
        });
      serve('/sdk/', join(root, 'dist'));
      serve('/demo/', join(root, 'demo', 'public'));
      app.get('/', async (_req, reply) => reply.redirect('/demo/'));
      app.get('/demo/api/stats', async () => ({ events: await server.store.eventCount() }));
    },
  });
  process.stdout.write(`\nFerry demo running.\n  Open http://${config.host}:${server.port}/demo/ in a browser.\n  Collector: http://${config.host}:${server.port}/v1/batch (write key "${DEMO_WRITE_KEY}")\n  Data: ${config.dataDir}\n  Stop with Ctrl+C.\n\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
