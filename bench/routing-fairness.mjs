// Fairness under a flood: source "flood" sends 100,000 events (batches of 100 gzip, 8 requests
// in flight, 1,000 users) into a destination it shares with source "trickle", which sends one
// event every 100 ms meanwhile and until the flood is delivered. A trickle event's latency is
// from the start of its ingest request to its arrival at the destination (a local webhook sink);
// the routing part of it from the ingest answer (the event is committed) to that arrival.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop, makeBatches } from './load.mjs';
import { startFerry } from './server.mjs';
import { until, webhookSink } from './webhook-sink.mjs';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

export async function runFairnessBench({ flood = 100_000, everyMs = 100, limitMs = 180_000 } = {}) {
  const sentAt = new Map();
  const answeredAt = new Map();
  const latencies = [];
  const routing = [];
  let floodDelivered = 0;
  const sink = await webhookSink({
    onEvent: (e, now) => {
      if (!sentAt.has(e.messageId)) return void floodDelivered++;
      latencies.push(now - sentAt.get(e.messageId));
      routing.push(now - answeredAt.get(e.messageId));
    },
  });
  const config = join(process.env.TMPDIR ?? '/tmp', `ferry-fair-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({
    sources: [{ name: 'flood', writeKeys: ['flood-key'] }, { name: 'trickle', writeKeys: ['trickle-key'] }],
    destinations: [{ name: 'shared', type: 'webhook', url: sink.url, maxBatchEvents: 500 }],
  }));
  const ferry = await startFerry(['--config', config, '--admin-port', '0']);
  const url = `${ferry.url}/v1/batch`;
  let stop = false;
  try {
    const trickle = (async () => {
      for (let n = 0; !stop; n++) {
        const messageId = `trickle-${Date.now()}-${n}`;
        sentAt.set(messageId, performance.now());
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from('trickle-key:').toString('base64')}` }, body: JSON.stringify({ batch: [{ type: 'track', event: 'Trickle', userId: `trickle-${n % 5}`, messageId, properties: { n } }] }) });
        answeredAt.set(messageId, performance.now());
        if (res.status !== 200) throw new Error(`trickle ingest answered ${res.status}`);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    const t0 = performance.now();
    await closedLoop(url, makeBatches(flood / 100, 100, 'flood-key', 1000), 100, 8);
    const ingestSeconds = (performance.now() - t0) / 1000;
    await until(() => floodDelivered >= flood, limitMs);
    const drainSeconds = (performance.now() - t0) / 1000;
    stop = true;
    await trickle;
    await until(() => latencies.length >= sentAt.size, 30_000);
    return { flood, floodDelivered, ingestSeconds, drainSeconds, trickleSent: sentAt.size, trickleDelivered: latencies.length, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), max: Math.max(...latencies), routingP50: pct(routing, 0.5), routingP99: pct(routing, 0.99), orderErrors: sink.state.orderErrors };
  } finally {
    stop = true;
    await ferry.stop();
    await sink.close();
  }
}

export function fairnessTable(r) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  return [
    `| a trickle beside a flood (${f(r.flood)} events, one shared destination) | flood ingested / delivered after | trickle events delivered | trickle latency p50 / p99 / max | of which routing (from the ingest answer) p50 / p99 | per-user order errors |`,
    '|---|---|---|---|---|---|',
    `| 1 trickle event per 100 ms while the flood is ingested and delivered | ${r.ingestSeconds.toFixed(1)} s / ${r.drainSeconds.toFixed(1)} s (${f(r.floodDelivered)}) | ${r.trickleDelivered} / ${r.trickleSent} | ${f(r.p50)} / ${f(r.p99)} / ${f(r.max)} ms | ${f(r.routingP50)} / ${f(r.routingP99)} ms | ${r.orderErrors} |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runFairnessBench().then((r) => console.log(fairnessTable(r)));
}
