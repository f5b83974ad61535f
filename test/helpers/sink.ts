import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP destination for router tests, on 127.0.0.1. `respond` decides each request's
 * fate; only events of 2xx requests count as received. It also records every request.
 */
export interface SinkRequest {
  events: Array<Record<string, unknown>>;
  idempotencyKey: string | undefined;
  status: number;
  at: number;
}

export type SinkAnswer = { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> };

export interface Sink {
  url: string;
  received: Array<Record<string, unknown>>;
  requests: SinkRequest[];
  respond: (events: Array<Record<string, unknown>>, n: number) => SinkAnswer;
  close(): Promise<void>;
}

export async function startSink(respond: Sink['respond'] = () => ({ status: 200 })): Promise<Sink> {
  const sink: Omit<Sink, 'url' | 'close'> = { received: [], requests: [], respond };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const events = (JSON.parse(Buffer.concat(chunks).toString()) as { batch: Array<Record<string, unknown>> }).batch;
    const answer = sink.respond(events, sink.requests.length + 1);
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    sink.requests.push({ events, idempotencyKey: req.headers['idempotency-key'] as string | undefined, status: answer.status, at: Date.now() });
    if (answer.status >= 200 && answer.status < 300) sink.received.push(...events);
    res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body ?? { ok: answer.status < 300 }));
  };
  const server: Server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(sink, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  }) as Sink;
}

/** Events grouped by user, in arrival order. */
export function byUser(events: Array<Record<string, unknown>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    const u = String(e.userId ?? e.anonymousId);
    if (!out.has(u)) out.set(u, []);
    out.get(u)!.push(String(e.messageId));
  }
  return out;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
