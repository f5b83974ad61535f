import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/server/store/sqlite-store.js';
import { cleanup, tempDir } from '../../helpers/ferry-process.js';

/** The store's side of the lease scheme, on a real SQLite file: tokens, renewal, fenced settles. */
const stores: Array<{ store: SqliteStore; dir: string }> = [];
afterEach(async () => {
  for (const { store, dir } of stores.splice(0)) {
    await store.close();
    cleanup(dir);
  }
});

async function storeWith(users: string[]): Promise<SqliteStore> {
  const dir = tempDir('ferry-lease-');
  const store = new SqliteStore(dir);
  stores.push({ store, dir });
  await store.ingest(users.map((u, i) => ({ source: 'web', messageId: `m${i}`, type: 'track', userKey: u, receivedAt: 1000 + i, body: JSON.stringify({ messageId: `m${i}` }), destinations: ['hook'], links: [] })), 0);
  return store;
}

const attempt = (at: number) => ({ number: 1, at, status: 200, error: null, response: null, durationMs: 5 });

describe('lease fencing in the store', () => {
  it('lets a claim that lost its lease neither renew nor settle, while the claim that took over does both', async () => {
    const store = await storeWith(['a', 'a', 'b']);
    const first = await store.claim('hook', 10_000, 10, 1000, 'token-1');
    expect(first.map((d) => d.userKey)).toEqual(['a', 'a', 'b']);
    // Held: nobody else gets them before the lease ends.
    expect(await store.claim('hook', 10_500, 10, 1000, 'token-x')).toEqual([]);
    // Renewed at 10_900 until 11_900: still nobody at 11_500.
    expect(await store.renew('token-1', 10_900, 1000)).toEqual(first.map((d) => d.id));
    expect(await store.claim('hook', 11_500, 10, 1000, 'token-x')).toEqual([]);
    // The holder stalls past its lease: a second claim takes the rows over.
    const second = await store.claim('hook', 12_000, 10, 1000, 'token-2');
    expect(second.map((d) => d.id)).toEqual(first.map((d) => d.id));
    expect(await store.renew('token-1', 12_100, 1000)).toEqual([]);
    // The stale claim's settle changes nothing and logs nothing.
    const ids = first.map((d) => d.id);
    const fenced = await store.settle('hook', 'token-1', [
      { id: ids[0]!, state: 'aborted', reason: 'stale', attempt: attempt(12_200) },
      { id: ids[1]!, state: 'released' },
      { id: ids[2]!, state: 'failed', nextAt: 99_999, attempt: attempt(12_200) },
    ], 12_200);
    expect(fenced).toBe(3);
    // Succeeded outcomes are settled in one statement: fenced all the same.
    expect(await store.settle('hook', 'token-1', ids.map((id) => ({ id, state: 'succeeded' as const, attempt: attempt(12_250) })), 12_250)).toBe(3);
    expect((await store.deliveries({ destination: 'hook' })).map((d) => [d.state, d.attempts])).toEqual([['pending', 0], ['pending', 0], ['pending', 0]]);
    expect(await store.deliveryLog('m0')).toEqual([]);
    // The live claim settles.
    expect(await store.settle('hook', 'token-2', ids.map((id) => ({ id, state: 'succeeded' as const, attempt: attempt(12_300) })), 12_300)).toBe(0);
    expect((await store.deliveries({ destination: 'hook' })).map((d) => d.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(await store.deliveryLog('m0')).toHaveLength(1);
  });

  it('does not renew rows an operator aborted meanwhile', async () => {
    const store = await storeWith(['a', 'b']);
    const claimed = await store.claim('hook', 10_000, 10, 1000, 'token-1');
    await store.abort([claimed[0]!.id], 'operator', 10_100);
    expect(await store.renew('token-1', 10_200, 1000)).toEqual([claimed[1]!.id]);
  });
});
