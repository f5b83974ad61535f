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
    keys: () => m.keys(),
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
          const store = new KeyValueStore('localStorage', kv, 'k');
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
          const keys = [...kv.m.keys()].filter((k) => /^ferry_q_1_k_e/.test(k));
          expect(await store.count(), where).toBe(after.length);
          expect(keys.length, where).toBe(after.length);
          cases++;
        }
    expect(cases).toBe(400);
  });
});

it('the page\'s own data taking all the room: every event reported, the queue empty and usable again', async () => {
  const kv = quotaKV(2_000);
  const store = new KeyValueStore('localStorage', kv, 'k');
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

/** Two tabs' view of one localStorage: a write in one is heard by the other's `storage` listeners, as browsers do. */
function sharedStorage() {
  const m = new Map<string, string>();
  const listeners = new Set<{ fn: (key: string | null, value: string | null) => void }>();
  let scans = 0;
  const tab = () => {
    const mine = { fn: (_k: string | null, _v: string | null) => {} };
    const tell = (key: string, value: string | null) => {
      for (const l of listeners) if (l !== mine) l.fn(key, value);
    };
    return {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void (m.set(k, v), tell(k, v)),
      removeItem: (k: string) => void (m.delete(k) && tell(k, null)),
      keys: () => (scans++, m.keys()),
      watch: (fn: (key: string | null, value: string | null) => void) => {
        mine.fn = fn;
        listeners.add(mine);
        return () => void listeners.delete(mine);
      },
    };
  };
  return { m, tab, scans: () => scans };
}

const at = (i: string, enqueuedAt: number) => ({ id: i, messageId: i, json: `{"messageId":"${i}"}`, enqueuedAt });

it('a write key is its own namespace: the queue of "a" neither sees nor removes the queue of "a_e_x"', async () => {
  const { tab } = sharedStorage();
  const a = new KeyValueStore('localStorage', tab(), 'a');
  const other = new KeyValueStore('localStorage', tab(), 'a_e_x');
  await other.append([at('other-1', Date.now())], 100);
  await a.append([at('a-1', Date.now())], 100);
  expect((await a.oldest(10)).map((r) => r.id)).toEqual(['a-1']);
  expect(await a.count()).toBe(1);
  expect((await other.oldest(10)).map((r) => r.id)).toEqual(['other-1']);
});

it('a page\'s tail is sent before the next page\'s events even when the clock stepped back across the reload', async () => {
  const { tab } = sharedStorage();
  const before = new KeyValueStore('localStorage', tab(), 'k');
  await before.append([at('old-1', 2_000_000), at('old-2', 2_000_001)], 100);
  // Reload: a new page; NTP stepped the clock back 10 s meanwhile.
  const after = new KeyValueStore('localStorage', tab(), 'k');
  await after.append([at('new-1', 1_990_000)], 100);
  await after.append([at('new-2', 1_990_000)], 100);
  expect((await after.oldest(10)).map((r) => r.id)).toEqual(['old-1', 'old-2', 'new-1', 'new-2']);
});

it('reads the keys once per page: appends, reads and removes go by an index kept in step with the other tabs', async () => {
  const shared = sharedStorage();
  const one = new KeyValueStore('localStorage', shared.tab(), 'k');
  const two = new KeyValueStore('localStorage', shared.tab(), 'k');
  const now = Date.now();
  expect(await one.count()).toBe(0);
  expect(await two.count()).toBe(0);
  const scans = shared.scans();
  for (let i = 0; i < 30; i++) await (i % 3 ? one : two).append([at(`e${i}`, now + i)], 1000);
  const head = await one.oldest(10);
  expect(head.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
  await one.remove(head);
  // The other tab heard each append and each removal.
  expect((await two.oldest(5)).map((r) => r.id)).toEqual(['e10', 'e11', 'e12', 'e13', 'e14']);
  expect(await two.count()).toBe(20);
  await two.remove(await two.oldest(5));
  expect(await one.count()).toBe(15);
  expect(shared.scans()).toBe(scans);
  // A removal this tab has not heard of yet is passed over, not returned.
  shared.m.delete([...shared.m.keys()].find((k) => k.endsWith('.e15'))!);
  expect((await one.oldest(2)).map((r) => r.id)).toEqual(['e16', 'e17']);
});
