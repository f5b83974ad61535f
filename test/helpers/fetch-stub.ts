import { gunzipSync } from 'node:zlib';

/** What a stubbed collector saw: one entry per request, bodies decoded. */
export interface SeenRequest {
  url: string;
  keepalive: boolean;
  gzip: boolean;
  body: { batch: Array<Record<string, unknown>>; sentAt: string; writeKey: string };
}

export type Responder = (req: SeenRequest, n: number) => { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * A fetch replacement for happy-dom unit tests of the flusher's policy (responses chosen
 * by the test). The real network path is proven by the Playwright tests against a real server.
 */
export function stubFetch(responder: Responder): { requests: SeenRequest[]; restore: () => void; inFlightMax: () => number } {
  const original = globalThis.fetch;
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let inFlightMax = 0;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    inFlight++;
    inFlightMax = Math.max(inFlightMax, inFlight);
    try {
      const raw = init.body as Uint8Array | string;
      const bytes = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw);
      const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
      const text = (gzip ? gunzipSync(bytes) : bytes).toString('utf8');
      const req: SeenRequest = { url: String(url), keepalive: !!init.keepalive, gzip, body: JSON.parse(text) };
      requests.push(req);
      await new Promise((r) => setTimeout(r, 1));
      const res = responder(req, requests.length);
      return new Response(JSON.stringify(res.body ?? { ok: true, accepted: req.body.batch.length, duplicates: 0, rejected: [] }), {
        status: res.status,
        headers: res.headers ?? {},
      });
    } finally {
      inFlight--;
    }
  }) as typeof fetch;
  return { requests, restore: () => (globalThis.fetch = original), inFlightMax: () => inFlightMax };
}
