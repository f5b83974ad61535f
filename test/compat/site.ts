import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

/**
 * A website on its own origin (127.0.0.1, a free port) that serves test pages and a third-party
 * SDK's build from node_modules, as a site serves the library it bundled. It knows nothing of
 * Ferry: the pages point the SDK at Ferry's URL, nothing else.
 */
export interface Site {
  url: string;
  close(): Promise<void>;
}

export async function startSite(opts: { pages: Record<string, string>; files: Record<string, URL> }): Promise<Site> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const page = opts.pages[path];
    if (page !== undefined) return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
    const file = opts.files[path];
    if (!file) return void res.writeHead(404).end();
    readFile(file).then(
      (body) => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
