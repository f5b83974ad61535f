import { post } from '../../helpers/ferry-process.js';
import { awaitDelivery, labelOf, tally } from '../../helpers/chaos-ledger.js';
import { WRITE_KEY, startWorld } from '../../helpers/chaos-world.js';
import type { Scenario } from '../scenario.js';

const BIG = 2000;
const USERS = 20;
const PER_USER = 10;

/**
 * The destination flaps (45 % 503, 5 % hang past the router's timeout), one event is poison (the
 * destination answers 400 for any batch holding it), one user has thousands of events queued,
 * and a second destination is dead (connection refused) the whole time.
 */
export const destinationFlapping: Scenario = {
  id: 8,
  title: 'Destination flapping 50 % (503s, timeouts), a poison event, a big user, a dead 2nd destination',
  budgetMs: 150_000,
  async run({ rng, defer, note }) {
    const world = await startWorld({
      hook: { timeoutMs: 1000 },
      extraDestinations: [{ name: 'dead', type: 'webhook', url: 'http://127.0.0.1:1/hook', timeoutMs: 1000, retry: { baseMs: 50, capMs: 1000, maxAttempts: 10_000, windowMs: 3_600_000 } }],
    });
    defer(() => world.close());
    world.hook.fault = () => {
      const roll = rng.next();
      return roll < 0.45 ? { status: 503, retryAfter: '0.2' } : roll < 0.5 ? 'hang' : 'pass';
    };
    world.sink.respond = (events) => (events.some((e) => labelOf(e) === 'poison') ? { status: 400, body: { error: 'poison' } } : { status: 200 });
    const tracked: string[] = [];
    const events: Array<Record<string, unknown>> = [];
    for (let i = 0; i < BIG; i++) events.push({ type: 'track', userId: 'big', event: 'chaos', properties: { label: `big:${i}` } });
    for (let u = 0; u < USERS; u++) {
      for (let i = 0; i < PER_USER; i++) events.push({ type: 'track', userId: `u${u}`, event: 'chaos', properties: { label: `u${u}:${i}` } });
    }
    // The poison sits in the middle of a user's stream: the user's later events wait behind it.
    events.splice(BIG + 3 * PER_USER + 5, 0, { type: 'track', userId: 'u3', event: 'chaos', properties: { label: 'poison' } });
    for (let at = 0; at < events.length; at += 250) {
      const chunk = events.slice(at, at + 250).map((e, i) => ({ ...e, messageId: `m8-${at + i}` }));
      const res = await post(world.site.url, { batch: chunk }, { writeKey: WRITE_KEY });
      if (res.status !== 200) throw new Error(`ingestion answered ${res.status}: ${JSON.stringify(res.body)}`);
      tracked.push(...chunk.map((e) => labelOf(e)!).filter((l) => l !== 'poison'));
    }
    await awaitDelivery(world, tracked, 110_000);
    world.hook.fault = undefined;
    const failures: string[] = [];
    const deliveries = world.deliveries();
    const poison = deliveries.find((d) => d.destination === 'hook' && d.messageId === `m8-${BIG + 3 * PER_USER + 5}`);
    if (poison?.state !== 'aborted') failures.push(`the poison event's delivery is ${poison?.state ?? 'missing'}, not aborted`);
    else note(`poison aborted after ${poison.attempts} attempt(s): ${poison.reason}`);
    // G6: while the poison was refused, u3's later events (u3:5 on) waited behind it: no request
    // without the poison carried them before the poison's last attempt.
    const sinkLog = world.sink.requests;
    const hasPoison = (r: (typeof sinkLog)[number]) => r.events.some((e) => labelOf(e) === 'poison');
    let lastPoison = -1;
    for (const [i, r] of sinkLog.entries()) if (hasPoison(r)) lastPoison = i;
    const laterOfU3 = (e: Record<string, unknown>) => Number(/^u3:(\d+)$/.exec(labelOf(e) ?? '')?.[1] ?? -1) >= 5;
    const early = sinkLog.slice(0, Math.max(lastPoison, 0)).filter((r) => !hasPoison(r) && r.events.some(laterOfU3));
    if (lastPoison < 0) failures.push('the poison event never reached the destination');
    if (early.length) failures.push(`${early.length} request(s) carried u3's events after the poison before the poison's last attempt (answered ${early.map((r) => r.status).join(', ')}): they were not blocked`);
    else note(`u3's later events waited for the poison's ${sinkLog.filter(hasPoison).length} attempt(s) at the destination`);
    const dead = deliveries.filter((d) => d.destination === 'dead');
    const byState = new Map<string, number>();
    for (const d of dead) byState.set(d.state, (byState.get(d.state) ?? 0) + 1);
    const deadStates = [...byState].map(([s, n]) => `${s} ${n}`).join(', ');
    note(`dead destination: ${deadStates}`);
    if (dead.length !== events.length) failures.push(`the dead destination has ${dead.length} deliveries for ${events.length} events`);
    if (dead.some((d) => d.state === 'succeeded' || d.state === 'aborted')) failures.push(`the dead destination settled deliveries (${deadStates}); they must be kept for retry`);
    const hooks = world.hook.requests;
    note(`${hooks.length} requests to the flapping destination: ${hooks.filter((r) => r.status === 503).length} × 503, ${hooks.filter((r) => r.fault === 'hang').length} hung`);
    return { tally: tally(world, tracked), failures };
  },
};
