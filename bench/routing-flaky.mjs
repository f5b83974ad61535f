// Flaky destination drain: a local webhook sink answers a third of its requests 503 at random
// (seeded), with Ferry's default retry settings, as a new user would try it: 500 events of 10
// users sent 10 per request. The same run against a sink that answers every request 200 shows
// what the ingestion alone costs; a partly working destination should drain close to it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFerry } from './server.mjs';
import { until, webhookSink } from './webhook-sink.mjs';

/** A seeded generator (LCG): the same draws every run. */
function seeded(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

async function post(url, key, batch) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` }, body: JSON.stringify({ batch }) });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
}

async function drain({ events, users, perRequest, failRatio, seed, limitMs }) {
  const random = seeded(seed);
  const sink = await webhookSink({ answer: () => (random() < failRatio ? 503 : 200) });
  const key = 'flaky-key';
  const config = join(process.env.TMPDIR ?? '/tmp', `ferry-flaky-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ sources: [{ name: 'bench', writeKeys: [key] }], destinations: [{ name: 'flaky', type: 'webhook', url: sink.url }] }));
  const ferry = await startFerry(['--config', config, '--admin-port', '0']);
  try {
    const run = `${Date.now()}`;
    const list = Array.from({ length: events }, (_, n) => ({ type: 'track', event: 'Flaky', userId: `user-${n % users}`, messageId: `${run}-${n}`, properties: { n } }));
    const t0 = performance.now();
    for (let i = 0; i < list.length; i += perRequest) await post(`${ferry.url}/v1/batch`, key, list.slice(i, i + perRequest));
    const ingestedAt = performance.now();
    await until(() => sink.state.delivered >= events, limitMs);
    const s = sink.state;
    const endAt = s.delivered >= events ? s.lastAt : performance.now();
    return { failRatio, seconds: (endAt - t0) / 1000, afterIngestSeconds: Math.max(0, endAt - ingestedAt) / 1000, delivered: s.delivered, requests: s.requests, failedRequests: s.failedRequests, orderErrors: s.orderErrors };
  } finally {
    await ferry.stop();
    await sink.close();
  }
}

export async function runFlakyBench({ events = 500, users = 10, perRequest = 10, failRatio = 1 / 3, seed = 7, limitMs = 120_000 } = {}) {
  const healthy = await drain({ events, users, perRequest, failRatio: 0, seed, limitMs });
  const flaky = await drain({ events, users, perRequest, failRatio, seed, limitMs });
  return { events, users, perRequest, runs: [healthy, flaky] };
}

export function flakyTable(r) {
  return [
    `| ${r.events} events of ${r.users} users, ${r.perRequest} per ingest request, default retry settings | until all delivered (after the last ingest answer) | delivered | requests to the destination (503) | per-user order errors |`,
    '|---|---|---|---|---|',
    ...r.runs.map((x) => `| ${x.failRatio ? `${Math.round(x.failRatio * 100)} % of requests answer 503 at random (seeded)` : 'every request answers 200'} | ${x.seconds.toFixed(1)} s (${x.afterIngestSeconds.toFixed(1)} s) | ${x.delivered} / ${r.events} | ${x.requests} (${x.failedRequests}) | ${x.orderErrors} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runFlakyBench().then((r) => console.log(flakyTable(r)));
}
