import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../../src/sdk/queue-memory.js';

// The memory store (where the kv chunk cannot be fetched) once filtered what it stored against
// what it evicted with Array.includes: quadratic in a burst over the cap. Counted in
// comparisons, not time: the property is that one append's work grows linearly.
describe('memory store: a burst over the queue cap', () => {
  it('does at most a linear number of element comparisons per append', async () => {
    const cap = 2000;
    const burst = 6000;
    const store = memoryStore();
    const records = Array.from({ length: burst }, (_, i) => ({ id: `r${i}`, json: '{}', messageId: `m${i}`, enqueuedAt: 0 }));
    let compared = 0;
    const includes = Array.prototype.includes;
    // Count the element visits of includes() during this append only.
    Array.prototype.includes = function (this: unknown[], v: unknown, from?: number) {
      const i = this.indexOf(v, from);
      compared += i === -1 ? this.length : i + 1;
      return i !== -1;
    };
    let result;
    try {
      result = await store.append(records, cap);
    } finally {
      Array.prototype.includes = includes;
    }
    expect(result.evicted).toHaveLength(burst - cap);
    expect(result.stored).toHaveLength(cap);
    console.log(`${compared} element comparisons for a ${burst}-event burst over a cap of ${cap}`);
    expect(compared).toBeLessThanOrEqual(10 * burst);
  });
});
