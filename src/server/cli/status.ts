import type { DeliveryCounts } from '../store/types.js';
import { CliError } from './admin-client.js';
import { query, when, type Command } from './command.js';
import { iso, millis, table } from './table.js';

interface DestinationState {
  name: string;
  type: string;
  paused: boolean;
  probeAt: number | null;
  counts: DeliveryCounts;
}

/** The verification summary of one destination (GET /admin/summary). */
export interface Summary {
  destination: string;
  received: number;
  deliveredFirstTry: number;
  deliveredAfterRetry: number;
  aborted: { total: number; byReason: Record<string, number> };
  pending: number;
  blocked: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  paused: boolean;
  breaker: unknown;
}

export const status: Command = {
  usage: 'ferry status [--from T] [--to T]',
  summary: 'destinations: state, delivery counts, and the verification summary of a window (default: the last 24 h)',
  options: { from: { type: 'string' }, to: { type: 'string' } },
  async run({ client, values, json, print }) {
    const to = when(values, 'to') ?? new Date().toISOString();
    const from = when(values, 'from') ?? new Date(Date.parse(to) - 86_400_000).toISOString();
    const { destinations } = await client.get<{ destinations: DestinationState[] }>('/admin/destinations');
    // The summary is an addition: a server without it still has a status.
    let summary: { from: string; to: string; destinations: Summary[] } | null = null;
    let summaryError: string | null = null;
    try {
      summary = await client.get(`/admin/summary${query({ from, to })}`);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      summaryError = err.message;
    }
    if (json) return print(JSON.stringify({ destinations, summary, summaryError }, null, 2) + '\n');
    const bySummary = new Map(summary?.destinations.map((s) => [s.destination, s]));
    const state = (d: DestinationState) => {
      if (bySummary.get(d.name)?.paused) return 'paused by hand';
      if (d.paused) return `paused by breaker (probe ${iso(d.probeAt) ?? '-'})`;
      return d.counts.failed > 0 ? 'retrying' : 'flowing';
    };
    print(table(['DESTINATION', 'TYPE', 'STATE', 'PENDING', 'BLOCKED', 'FAILED', 'SUCCEEDED', 'ABORTED'],
      destinations.map((d) => [d.name, d.type, state(d), d.counts.pending, d.counts.blocked, d.counts.failed, d.counts.succeeded, d.counts.aborted])));
    if (!summary) return print(`\nsummary: ${summaryError}\n`);
    print(`\nsummary from ${summary.from} to ${summary.to}\n`);
    print(table(['DESTINATION', 'RECEIVED', 'FIRST TRY', 'AFTER RETRY', 'ABORTED', 'PENDING', 'BLOCKED', 'P50', 'P90', 'P99', 'MAX'],
      summary.destinations.map((s) => [s.destination, s.received, s.deliveredFirstTry, s.deliveredAfterRetry, s.aborted.total, s.pending, s.blocked,
        millis(s.latencyMs.p50), millis(s.latencyMs.p90), millis(s.latencyMs.p99), millis(s.latencyMs.max)])));
    for (const s of summary.destinations) for (const [reason, n] of Object.entries(s.aborted.byReason)) print(`  ${s.destination}: ${n} aborted: ${reason}\n`);
  },
};
