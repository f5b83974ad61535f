import { afterEach, describe, expect, it, vi } from 'vitest';
import { uuidv4 } from '../../../src/protocol/uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv4 without crypto.randomUUID (an http: page)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('builds RFC 4122 v4 ids from getRandomValues, every random digit taking every value', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(a: T) => real.getRandomValues(a) });
    const ids = Array.from({ length: 2000 }, () => uuidv4());
    for (const id of ids) expect(id).toMatch(V4);
    expect(new Set(ids).size).toBe(ids.length);
    // Each of the 30 fully random positions sees all 16 hex digits; the variant digit all of 8-b.
    const hex = ids.map((id) => id.replace(/-/g, ''));
    for (let i = 0; i < 32; i++) {
      const seen = new Set(hex.map((h) => h[i])).size;
      expect(seen, `position ${i}`).toBe(i === 12 ? 1 : i === 16 ? 4 : 16);
    }
  });
});
