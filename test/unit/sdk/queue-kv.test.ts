// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../../src/sdk/queue-kv.js';
import type { AppendResult } from '../../../src/sdk/queue-store.js';

/** A Storage with a character quota (keys and values) shared with the page's own data, as browsers count it. */
function quotaKV(limit: number) {
  const m = new Map<string, string>();
  const used = () => [...m].reduce((s, [k, v]) => s + k.length + v.length, 0);
  return {
    m,
    used,
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => {
      const before = m.get(k);
      if (used() - (before === undefined ? 0 : k.length + before.length) + k.length + v.length > limit) throw new DOMException('full', 'QuotaExceededError');
      m.set(k, v);
    },
    removeItem: (k: string) => void m.delete(k),
  };
}

const rec = (i: number, pad: number) => ({ id: `id${i}`, messageId: `m${i}`, json: 'x'.repeat(pad), enqueuedAt: 1 });

describe('the localStorage queue under a full storage', () => {
  it('every event is kept or reported, and the index stays true, whatever write hits the quota (the index\'s included)', async () => {
    let cases = 0;
    for (const sizes of [[100, 100, 100, 100, 100, 100, 100, 100], [100, 140, 180, 100, 140, 180, 100, 140, 180]])
      for (const pad of [80, 100, 141, 200, 400])
        for (let slack = 0; slack < 40; slack++) {
          const kv = quotaKV(1_000_000);
          const store = new KeyValueStore('localStorage', kv, 'k', () => kv.m.keys());
          for (const [i, size] of sizes.entries()) await store.append([rec(i, size)], 1000);
          // The page's own data fills the rest of the storage but `slack` characters.
          kv.m.set('page', 'p'.repeat(1_000_000 - kv.used() - 'page'.length - slack));
          const before = (await store.oldest(100)).map((r) => r.id);
          const res: AppendResult = await store.append([rec(99, pad)], 1000);
          const after = (await store.oldest(100)).map((r) => r.id);
          const reported = new Set([...res.evicted, ...(res.overQuota ?? [])].map((r) => r.id));
          const where = `sizes ${sizes.join(',')} pad ${pad} slack ${slack}`;
          expect(before.filter((id) => !after.includes(id) && !reported.has(id)), where).toEqual([]);
          // The new event is stored or reported, never both nor neither.
          expect(after.includes('id99') !== reported.has('id99'), where).toBe(true);
          expect(after.filter((id) => reported.has(id)), where).toEqual([]);
          // The index counts exactly the event keys there are.
          const keys = [...kv.m.keys()].filter((k) => /^ferry_q_k_e_/.test(k));
          expect(await store.count(), where).toBe(after.length);
          expect(keys.length, where).toBe(after.length);
          cases++;
        }
    expect(cases).toBe(400);
  });
});

it('the page\'s own data taking all the room: every event reported, the queue empty and usable again', async () => {
  const kv = quotaKV(2_000);
  const store = new KeyValueStore('localStorage', kv, 'k', () => kv.m.keys());
  for (let i = 0; i < 5; i++) await store.append([rec(i, 100)], 1000);
  // The page's own data grows with each write, so freeing event keys is never enough.
  const setItem = kv.setItem;
  kv.setItem = (k, v) => {
    kv.m.set('page', 'p'.repeat(2_000 - kv.used() + (kv.m.get('page')?.length ?? 0)));
    return setItem(k, v);
  };
  const res = await store.append([rec(9, 100)], 1000);
  expect([...res.evicted, ...(res.overQuota ?? [])].map((r) => r.id).sort()).toEqual(['id0', 'id1', 'id2', 'id3', 'id4', 'id9']);
  expect(res.stored).toEqual([]);
  expect(await store.oldest(100)).toEqual([]);
  expect(await store.count()).toBe(0);
  kv.setItem = setItem;
  kv.m.delete('page');
  await store.append([rec(10, 10)], 1000);
  expect((await store.oldest(100)).map((r) => r.id)).toEqual(['id10']);
});
