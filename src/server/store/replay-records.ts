import type { ReplayRecord } from './types.js';

/** A row of list-replays (either dialect). */
export type ReplayRow = Omit<ReplayRecord, 'filter' | 'state' | 'createdAt'> & { filter: string; state: string; createdAt: number; live: number };

/** A replay as the admin API shows it: running while it makes copies or any of them is live. */
export function replayRecord({ live, ...r }: ReplayRow): ReplayRecord {
  return {
    ...r,
    filter: JSON.parse(r.filter) as Record<string, unknown>,
    state: r.state === 'cancelled' ? 'cancelled' : r.state === 'running' || live > 0 ? 'running' : 'done',
    createdAt: new Date(r.createdAt).toISOString(),
  };
}
