import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

/**
 * The test's side channel, on its own port: pages that drive themselves (a browser started
 * without remote control) POST what they see to /report, and /slow/dist/* serves the built SDK
 * late, like a slow CDN, so a page's snippet records calls before the bundle arrives.
 */
export interface SideServer {
  url: string;
  reports: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

const root = new URL('../../', import.meta.url);
const SLOW_MS = 700;

export async function startSideServer(): Promise<SideServer> {
  const reports: Array<Record<string, unknown>> = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // A module import of ferry-gzip.js from another origin needs CORS.
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'POST' && url.pathname === '/report') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          if (reports.length < 10_000) reports.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
        } catch {
          // a page that reports garbage fails its own test by never reporting what it waits for
        }
        res.end();
      });
      return;
    }
    const file = url.pathname.match(/^\/slow\/dist\/([\w.-]+\.js)$/)?.[1];
    if (req.method === 'GET' && file) {
      setTimeout(() => {
        readFile(new URL(`dist/${file}`, root)).then(
          (body) => {
            res.setHeader('Content-Type', 'text/javascript');
            res.end(body);
          },
          () => {
            res.statusCode = 404;
            res.end();
          },
        );
      }, SLOW_MS);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
