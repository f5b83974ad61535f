// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/sdk/open-store.js';
import { ArrayStore, memoryStore } from '../../../src/sdk/queue-store.js';
import type { FallbackInfo } from '../../../src/sdk/open-store.js';

const rec = (n: number) => ({ id: `local-${n}`, json: `{"n":${n}}`, messageId: `m${n}`, enqueuedAt: n });

let savedIdb: unknown;
beforeEach(() => {
  savedIdb = (globalThis as { indexedDB?: unknown }).indexedDB;
  localStorage.clear();
});
afterEach(() => {
  (globalThis as { indexedDB?: unknown }).indexedDB = savedIdb;
});

describe('storage fallback', () => {
  it('uses localStorage where IndexedDB is missing, and says so once', async () => {
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
    const told: FallbackInfo[] = [];
    const store = await openStore('k1', 'auto', (i) => told.push(i));
    expect(store.kind).toBe('localStorage');
    expect(told).toEqual([{ from: 'indexeddb', to: 'localStorage', reason: expect.stringContaining('indexedDB') }]);
    await store.append([rec(1), rec(2)], 100);
    // A second tab (a new store over the same localStorage) sees the same queue, in order.
    const other = await openStore('k1', 'localStorage', () => {});
    expect((await other.oldest(10)).map((r) => r.messageId)).toEqual(['m1', 'm2']);
  });

  it('uses localStorage where opening IndexedDB fails (private modes)', async () => {
    (globalThis as { indexedDB?: unknown }).indexedDB = {
      open() {
        throw new DOMException('The user denied permission to access the database.', 'InvalidStateError');
      },
    };
    const told: FallbackInfo[] = [];
    const store = await openStore('k2', 'auto', (i) => told.push(i));
    expect(store.kind).toBe('localStorage');
    expect(told[0]!.reason).toContain('denied permission');
  });

  it('falls back to memory when localStorage throws too', async () => {
    delete (globalThis as { indexedDB?: unknown }).indexedDB;
    const real = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
    const full = { getItem: () => null, removeItem: () => {}, setItem: () => {
      throw new DOMException('quota', 'QuotaExceededError');
    } };
    Object.defineProperty(globalThis, 'localStorage', { configurable: true, get: () => full });
    try {
      const told: FallbackInfo[] = [];
      const store = await openStore('k3', 'auto', (i) => told.push(i));
      expect(store.kind).toBe('memory');
      expect(told).toEqual([{ from: 'indexeddb', to: 'memory', reason: expect.stringContaining('quota') }]);
    } finally {
      if (real) Object.defineProperty(globalThis, 'localStorage', real);
    }
  });

  it('array stores keep FIFO order, remove exact records and evict the oldest beyond the cap', async () => {
    const store = memoryStore();
    const { stored } = await store.append([rec(1), rec(2), rec(3)], 100);
    await store.remove([stored[1]!]);
    expect((await store.oldest(10)).map((r) => r.messageId)).toEqual(['m1', 'm3']);
    const { evicted } = await store.append([rec(4), rec(5)], 3);
    expect(evicted.map((r) => r.messageId)).toEqual(['m1']);
    expect((await store.oldest(10)).map((r) => r.messageId)).toEqual(['m3', 'm4', 'm5']);
    expect(await store.count()).toBe(3);
    expect(store).toBeInstanceOf(ArrayStore);
  });
});
