import type { DeliverySummary } from './types.js';

type Latency = NonNullable<DeliverySummary['latencyMs']>;

/**
 * The 1-based ranks, among `n` values in ascending order, of the nearest-rank percentiles a
 * summary gives (the smallest value with at least p % of the values at or below it); null for none.
 */
export function percentileRanks(n: number): Latency | null {
  if (n === 0) return null;
  const rank = (p: number) => Math.max(1, Math.ceil((p / 100) * n));
  return { p50: rank(50), p90: rank(90), p99: rank(99), max: n };
}

/** The percentiles from the values found at the ranks of percentileRanks (rank → value). */
export function percentilesAt(ranks: Latency, valueAt: ReadonlyMap<number, number>): Latency {
  return { p50: valueAt.get(ranks.p50) ?? 0, p90: valueAt.get(ranks.p90) ?? 0, p99: valueAt.get(ranks.p99) ?? 0, max: valueAt.get(ranks.max) ?? 0 };
}

/**
 * The percentiles of `n` values read in ascending order; only the four values asked for are kept.
 * The values are only read when there are some: an open statement would keep the transaction
 * from committing.
 */
export function percentiles(ascending: () => Iterable<number>, n: number): Latency | null {
  const ranks = percentileRanks(n);
  if (!ranks) return null;
  const wanted = new Set(Object.values(ranks));
  const valueAt = new Map<number, number>();
  let i = 0;
  for (const v of ascending()) {
    i++;
    if (wanted.has(i)) valueAt.set(i, v);
    if (i === n) break;
  }
  return percentilesAt(ranks, valueAt);
}
