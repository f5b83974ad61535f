// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { expect, it, vi } from 'vitest';
import { stubFetch } from '../../helpers/fetch-stub.js';

it('reads the time zone and the stored identity while the page is idle after load(), not in its first call', async () => {
  // A fresh module: the context read once per page must not be left over from another test.
  vi.resetModules();
  const { Analytics } = await import('../../../src/sdk/analytics.js');
  localStorage.clear();
  const stub = stubFetch(() => ({ status: 200 }));
  const a = new Analytics();
  try {
    await a.load({ writeKey: 'first-call', endpoint: 'http://127.0.0.1:9', flushIntervalMs: 60_000 });
    await vi.waitFor(() => expect(localStorage.getItem('ferry_aid')).toMatch(/^[0-9a-f-]{36}$/), { timeout: 10_000 });
    // The start-up drain is over, so the event below stays queued (flushIntervalMs is a minute).
    await a.flush();
    const intl = vi.spyOn(Intl, 'DateTimeFormat');
    const getItem = vi.spyOn(Storage.prototype, 'getItem');
    a.track('First');
    expect(intl).not.toHaveBeenCalled();
    expect(getItem).not.toHaveBeenCalled();
    await vi.waitFor(async () => expect((await a.state()).queued).toBe(1), { timeout: 10_000 });
  } finally {
    vi.restoreAllMocks();
    a.close();
    stub.restore();
  }
});
