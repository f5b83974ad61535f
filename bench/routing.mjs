// Routing benchmark: events are ingested while the destinations answer 503 (the router pauses
// them), then the healthy ones come back and we time how fast the backlog drains to local
// webhook sinks, verifying per-user order. A second run adds a destination that stays dead.
// Then a flaky destination's drain (routing-flaky.mjs) and a trickle beside a flood
// (routing-fairness.mjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop, makeBatches } from './load.mjs';
import { startFerry } from './server.mjs';
import { until, webhookSink } from './webhook-sink.mjs';
import { flakyTable, runFlakyBench } from './routing-flaky.mjs';
import { fairnessTable, runFairnessBench } from './routing-fairness.mjs';

export async function drain({ healthy, dead, events, concurrency = 1 }) {
  let up = false;
  const sinks = await Promise.all(Array.from({ length: healthy + dead }, (_, i) => webhookSink({ answer: () => (up && i < healthy ? 200 : 503) })));
  const key = 'route-key';
  const destinations = sinks.map((s, i) => ({ name: `${i < healthy ? 'healthy' : 'dead'}-${i}`, type: 'webhook', url: s.url, maxBatchEvents: 500, concurrency, retry: { baseMs: 50, capMs: 1000, maxAttempts: 1000, windowMs: 3_600_000 } }));
  const config = join(process.env.TMPDIR ?? '/tmp', `ferry-route-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ sources: [{ name: 'bench', writeKeys: [key] }], destinations }));
  const ferry = await startFerry(['--config', config, '--admin-port', '0']);
  try {
    await closedLoop(`${ferry.url}/v1/batch`, makeBatches(events / 100, 100, key, 1000), 100, 8);
    const cpu0 = ferry.cpuSeconds();
    up = true;
    await until(() => sinks.slice(0, healthy).every((s) => s.state.delivered >= events), 120_000);
    // The server's CPU (all its threads) per delivered event: on a shared machine steadier than events/s.
    const cpuUsPerEvent = ((ferry.cpuSeconds() - cpu0) * 1e6) / sinks.slice(0, healthy).reduce((n, s) => n + s.state.delivered, 0);
    return sinks.slice(0, healthy).map((s) => ({ delivered: s.state.delivered, eventsPerSec: s.state.delivered / ((s.state.lastAt - s.state.firstAt) / 1000), orderErrors: s.state.orderErrors, cpuUsPerEvent }));
  } finally {
    await ferry.stop();
    await Promise.all(sinks.map((s) => s.close()));
  }
}

export async function runRoutingBench(events = 50_000) {
  const one = await drain({ healthy: 1, dead: 0, events });
  const oneConcurrent = await drain({ healthy: 1, dead: 0, events, concurrency: 2 });
  const two = await drain({ healthy: 2, dead: 0, events });
  const twoPlusDead = await drain({ healthy: 2, dead: 1, events });
  const flaky = await runFlakyBench();
  const fairness = await runFairnessBench();
  return { events, one, oneConcurrent, two, twoPlusDead, flaky, fairness };
}

export function routingTable(r) {
  const f = (x) => Math.round(x).toLocaleString('en-US');
  const row = (label, runs) => `| ${label} | ${runs.map((x) => f(x.eventsPerSec)).join(' / ')} | ${runs[0].cpuUsPerEvent.toFixed(1)} µs | ${runs.map((x) => x.delivered).join(' / ')} | ${runs.reduce((n, x) => n + x.orderErrors, 0)} |`;
  return [
    `| routing (${f(r.events)} events, 1,000 users, batches of 500, local webhook sinks) | events/s per healthy destination | server CPU per delivered event | delivered | per-user order errors |`,
    '|---|---|---|---|---|',
    row('1 destination', r.one),
    row('1 destination, `concurrency: 2`', r.oneConcurrent),
    row('2 healthy destinations', r.two),
    row('2 healthy + 1 dead (503, paused by the breaker)', r.twoPlusDead),
    '',
    flakyTable(r.flaky),
    '',
    fairnessTable(r.fairness),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runRoutingBench().then((r) => console.log(routingTable(r)));
}
