import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, startFerry, trackEvent, type FerryProcess } from '../helpers/ferry-process.js';

const KEY = 'worker-failure-key';
const BOUND_MS = 15_000;
const running: FerryProcess[] = [];

afterEach(async () => {
  for (const f of running.splice(0)) {
    await f.kill('SIGKILL');
    cleanup(f.dataDir);
  }
});

type Answer = { status: number; retryAfter: string | null; code: unknown; sentAt: number; answeredAt: number } | { status: 'refused' | 'timeout'; sentAt: number };

/** One request with a bounded wait: an answer, a refused connection (the process is gone), or a hang. */
async function attempt(url: string, init?: RequestInit): Promise<Answer> {
  const sentAt = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(BOUND_MS) });
    const body = (await res.json().catch(() => ({}))) as { code?: unknown };
    return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.code, sentAt, answeredAt: performance.now() };
  } catch (err) {
    return { status: (err as Error).name === 'TimeoutError' ? 'timeout' : 'refused', sentAt };
  }
}

const batch = (n: number) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
  body: JSON.stringify({ batch: Array.from({ length: n }, () => trackEvent()) }),
});

describe('a store worker that dies', () => {
  it.each(['exit', 'throw'])('(%s in the writer thread) answers in-flight requests 503, leaves /ready 503, and exits non-zero saying why', async (how) => {
    const ferry = await startFerry({ args: ['--write-key', KEY, '--log-level', 'error'], env: { FERRY_TEST_STORE_FAULT: `${how}:ingest` } });
    running.push(ferry);
    expect((await attempt(`${ferry.url}/ready`)).status).toBe(200);

    // /ready is polled throughout; the four batches race into one or two group commits, the
    // first of which kills the writer thread.
    const probes: Answer[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        probes.push(await attempt(`${ferry.url}/ready`));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const answers = await Promise.all(Array.from({ length: 4 }, () => attempt(`${ferry.url}/v1/batch`, batch(20))));
    const after = await attempt(`${ferry.url}/v1/batch`, batch(1));
    const code = await Promise.race([ferry.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), BOUND_MS))]);
    polling = false;
    await poller;

    // Nothing hung, nothing was acknowledged, and what got an answer got a retryable 503.
    for (const a of [...answers, after]) expect(a.status === 503 || a.status === 'refused', JSON.stringify(a)).toBe(true);
    const answered = answers.filter((a) => a.status === 503);
    expect(answered.length).toBeGreaterThan(0);
    for (const a of answered) expect(a).toMatchObject({ retryAfter: expect.stringMatching(/^\d+$/), code: 'shutting_down' });
    // Once the first 503 was out, no /ready probe sent later said 200.
    const failedAt = Math.min(...answered.map((a) => (a as { answeredAt: number }).answeredAt));
    expect(probes.filter((p) => p.sentAt > failedAt && p.status === 200)).toEqual([]);
    expect(probes.some((p) => p.status === 'timeout')).toBe(false);

    expect(code).toBe(1);
    expect(ferry.output()).toMatch(/the store worker (exited with code 3|threw: test fault on ingest).*exiting/);
  }, 4 * BOUND_MS);
});
