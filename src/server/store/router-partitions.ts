import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { statements } from './sql-files.js';

/**
 * How several route processes share the deliveries of one PostgreSQL store without breaking
 * per-user order (G6):
 *
 * - Every user belongs to one of ROUTER_PARTITIONS partitions: a hash of its key (userId, else
 *   anonymousId), written on each delivery at ingestion (`upart`).
 * - A route process owns partitions through rows of `router_partitions` (owner, until), renewed
 *   every third of `partitionLeaseMs` by the database's clock. It claims only deliveries of the
 *   partitions it owns (claim-lanes.sql) and its delivery leases are renewed only while it still
 *   owns them (renew-lease.sql): one user's events are sent by one process at a time.
 * - Each live process (router_workers) takes its fair share, ceil(partitions / live processes),
 *   from the partitions nobody owns or whose owner stopped renewing them, and gives back what it
 *   holds above its share, so a process that joins gets work within a heartbeat or two.
 * - A process that dies or stalls stops renewing: after `partitionLeaseMs` its partitions are
 *   taken over, and the taker clears the leases of their deliveries in the same transaction
 *   (release-all-leases.sql). The late owner, if it still runs, can no longer renew them (so it
 *   starts no new request) nor settle them (the settle is fenced by the claim's token, now gone).
 *   Events it had in flight are sent again by the new owner: copies with the same messageId,
 *   after which each user's events go on in order.
 * - A process that stops cleanly (SIGTERM) or gives partitions back leaves them without an
 *   owner: the taker leaves their leases alone, the claims in flight settle as usual.
 */
export const ROUTER_PARTITIONS = 64;

/** The router partition of a user key: FNV-1a (32 bits) of its UTF-16 code units, modulo ROUTER_PARTITIONS. */
export function routerPartition(userKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userKey.length; i++) {
    h ^= userKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % ROUTER_PARTITIONS;
}

const NAMES = ['heartbeat-worker', 'renew-partitions', 'take-partitions', 'release-partitions', 'release-all-leases', 'forget-worker'] as const;

export interface PartitionEvents {
  /** Partitions taken; `expired`: from an owner that stopped renewing (its leases were cleared). */
  taken(parts: number[], expired: number[]): void;
  error(err: unknown): void;
}

/** One route process's hold on its router partitions: the heartbeat that renews, takes and gives back. */
export class RouterPartitions {
  readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly sql = statements('postgres', NAMES);
  private owned = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly leaseMs: number,
    private readonly events: PartitionEvents,
  ) {}

  /** The partitions held after the last heartbeat. */
  get held(): ReadonlySet<number> {
    return this.owned;
  }

  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beating = this.beat().catch((err) => this.events.error(err)).finally(() => this.schedule());
    }, this.leaseMs / 3);
  }

  /** Renews what it holds, then moves toward its fair share. */
  async beat(): Promise<void> {
    const live = Number((await this.pool.query<{ live: number }>(this.sql['heartbeat-worker'], [this.owner, this.leaseMs])).rows[0]!.live);
    const renewed = await this.pool.query<{ part: number }>(this.sql['renew-partitions'], [this.owner, this.leaseMs]);
    this.owned = new Set(renewed.rows.map((r) => r.part));
    const share = Math.ceil(ROUTER_PARTITIONS / Math.max(live, 1));
    if (this.owned.size > share) {
      const extra = [...this.owned].sort((a, b) => b - a).slice(0, this.owned.size - share);
      await this.pool.query(this.sql['release-partitions'], [this.owner, extra]);
      for (const p of extra) this.owned.delete(p);
    } else if (this.owned.size < share) {
      await this.take(share - this.owned.size);
    }
  }

  private async take(count: number): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const rows = (await client.query<{ part: number; expired: boolean }>(this.sql['take-partitions'], [this.owner, this.leaseMs, count])).rows;
      const expired = rows.filter((r) => r.expired).map((r) => r.part);
      if (expired.length > 0) await client.query(this.sql['release-all-leases'], [expired]);
      await client.query('COMMIT');
      for (const r of rows) this.owned.add(r.part);
      if (rows.length > 0) this.events.taken(rows.map((r) => r.part), expired);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Stops the heartbeat and gives every partition back, so that another process takes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.beating?.catch(() => undefined);
    await this.pool.query(this.sql['release-partitions'], [this.owner, [...this.owned]]);
    await this.pool.query(this.sql['forget-worker'], [this.owner]);
    this.owned.clear();
  }
}
