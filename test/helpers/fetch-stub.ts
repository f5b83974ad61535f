import { gunzipSync } from 'node:zlib';

/** What a stubbed collector saw: one entry per request, bodies decoded. */
export interface SeenRequest {
  url: string;
  keepalive: boolean;
  /** Sent by navigator.sendBeacon (no answer reaches the page). */
  beacon?: boolean;
  gzip: boolean;
  body: { batch: Array<Record<string, unknown>>; sentAt: string; writeKey: string };
}

/** status 0 makes fetch fail as on a network error; `raw` is a body sent as it is (an HTML page, say). */
export interface Answer { status: number; body?: unknown; raw?: string; headers?: Record<string, string> }
export type Responder = (req: SeenRequest, n: number) => Answer | Promise<Answer>;

function decode(raw: Uint8Array | string): { gzip: boolean; body: SeenRequest['body'] } {
  const bytes = Buffer.from(raw as Uint8Array);
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return { gzip, body: JSON.parse((gzip ? gunzipSync(bytes) : bytes).toString('utf8')) };
}

export interface Stub {
  requests: SeenRequest[];
  restore: () => void;
  inFlightMax: () => number;
  /** How the stubbed browser does keepalive: like Chromium, or like Firefox before 133 (beacon only). */
  keepalive: (supported: boolean) => void;
}

/**
 * A fetch (and sendBeacon) replacement for happy-dom unit tests of the flusher's policy
 * (responses chosen by the test); `Request.prototype.keepalive` exists, as in Chromium, unless
 * the test says otherwise. The real network path is proven by the Playwright tests against a
 * real server.
 */
export function stubFetch(responder: Responder): Stub {
  const original = globalThis.fetch;
  const originalBeacon = navigator.sendBeacon;
  const hadKeepalive = 'keepalive' in Request.prototype;
  const keepalive = (supported: boolean) => {
    if (supported) Object.defineProperty(Request.prototype, 'keepalive', { configurable: true, get: () => false });
    else delete (Request.prototype as { keepalive?: boolean }).keepalive;
  };
  keepalive(true);
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let inFlightMax = 0;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    inFlight++;
    inFlightMax = Math.max(inFlightMax, inFlight);
    try {
      const req: SeenRequest = { url: String(url), keepalive: !!init.keepalive, ...decode(init.body as Uint8Array | string) };
      requests.push(req);
      await new Promise((r) => setTimeout(r, 1));
      const res = await responder(req, requests.length);
      if (res.status === 0) throw new TypeError('Failed to fetch');
      const noBody = res.status === 204 || res.status === 304;
      return new Response(noBody ? null : res.raw ?? JSON.stringify(res.body ?? { ok: true, accepted: req.body.batch.length, duplicates: 0, rejected: [] }), {
        status: res.status,
        headers: res.headers ?? {},
      });
    } finally {
      inFlight--;
    }
  }) as typeof fetch;
  navigator.sendBeacon = (url: string | URL, data?: BodyInit | null) => {
    const blob = data as Blob;
    void blob.text().then((text) => requests.push({ url: String(url), keepalive: true, beacon: true, ...decode(text) }));
    return true;
  };
  return {
    requests,
    restore: () => {
      globalThis.fetch = original;
      navigator.sendBeacon = originalBeacon;
      keepalive(hadKeepalive);
    },
    inFlightMax: () => inFlightMax,
    keepalive,
  };
}
