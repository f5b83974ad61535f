// A local webhook destination for the routing benchmarks: answers each request with what
// `answer()` says (200 by default), and for every newly delivered event checks per-user order
// (`properties.n` must grow per userId) and calls `onEvent(event, now)`.
import http from 'node:http';

export function webhookSink({ answer = () => 200, onEvent = () => {} } = {}) {
  const state = { requests: 0, failedRequests: 0, delivered: 0, seen: new Set(), lastN: new Map(), orderErrors: 0, firstAt: 0, lastAt: 0 };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const status = answer();
      if (status !== 200) {
        state.failedRequests++;
        return res.writeHead(status).end();
      }
      const now = performance.now();
      if (!state.firstAt) state.firstAt = now;
      state.lastAt = now;
      for (const e of JSON.parse(Buffer.concat(chunks).toString()).batch) {
        if (state.seen.has(e.messageId)) continue;
        state.seen.add(e.messageId);
        const prev = state.lastN.get(e.userId) ?? -1;
        if (e.properties.n <= prev) state.orderErrors++;
        state.lastN.set(e.userId, e.properties.n);
        state.delivered++;
        onEvent(e, now);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    state,
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  })));
}

/** Resolves once `done()` holds, or after `limitMs`. */
export async function until(done, limitMs) {
  const deadline = Date.now() + limitMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
