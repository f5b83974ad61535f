import { afterEach, describe, expect, it } from 'vitest';
import { adminJson, cleanup, post, startFerry, tempDir, type FerryProcess } from '../helpers/ferry-process.js';

const running: FerryProcess[] = [];
afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
});

const config = {
  sources: [{
    name: 'web',
    writeKeys: ['flag-key'],
    trackingPlan: {
      onViolation: 'flag',
      events: {
        Signup: { type: 'object', required: ['plan'] },
        'Order Completed': { type: 'object', additionalProperties: { type: 'number' } },
      },
    },
  }],
  destinations: [{ name: 'm', type: 'memory' }],
};

interface Violation { source: string; event: string; count: number }

// Before pgText (postgres-store.ts) this failed on PostgreSQL (SQLite passed): ajv's message for a property quotes its path, so a property NAME with a
// NUL puts a NUL into plan_violations.last_message; PostgreSQL's text refuses it and the request's
// whole recordViolations transaction rolls back: the other events' violations go uncounted too
// (the events themselves are stored; only a log line says so).
describe('tracking-plan violations with a NUL in a property name', () => {
  it('are counted, with the other events\' violations of the request', async () => {
    const f = await startFerry({ dataDir: tempDir(), config });
    running.push(f);
    const run = Date.now();
    const batch = [
      { type: 'track', event: 'Signup', userId: 'u', messageId: `${run}-a`, properties: {} },
      { type: 'track', event: 'Order Completed', userId: 'u', messageId: `${run}-b`, properties: { 'a\u0000b': 'not a number' } },
    ];
    expect((await post(f.url, { batch }, { writeKey: 'flag-key' })).body).toMatchObject({ ok: true, accepted: 2 });
    const { violations } = await adminJson<{ violations: Violation[] }>(f, '/violations');
    expect(violations.map(({ event, count }) => ({ event, count }))).toEqual([
      { event: 'Order Completed', count: 1 },
      { event: 'Signup', count: 1 },
    ]);
  }, 60_000);
});
