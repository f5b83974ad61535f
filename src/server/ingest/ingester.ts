import type { FerryEvent } from '../../protocol/events.js';
import { httpError } from '../errors.js';
import type { RouteFn } from '../router/routes.js';
import { identityLinks } from './identity-links.js';
import type { PlanViolation } from './tracking-plan.js';
import type { NewEvent, Store } from '../store/types.js';

export interface IngestItem {
  event: FerryEvent;
  userKey: string;
  /** The enriched event as JSON text. */
  body: string;
  /** Kept and flagged by the source's tracking plan. */
  violation?: PlanViolation;
}

interface Pending {
  events: NewEvent[];
  resolve: (seqs: Array<number | null>) => void;
  reject: (err: unknown) => void;
}

/**
 * A disk that is full, read-only or failing is an outage to wait out, like overload: 503 with
 * Retry-After (the transaction rolled back, nothing was acknowledged), not a 500.
 */
function storageFailure(err: unknown): Error | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code)) return undefined;
  return httpError('storage_unavailable', `the disk refused the write (${code}); nothing was acknowledged, retry later`);
}

/**
 * Group commit: requests that arrive while a commit is running wait together and are written
 * by the next single transaction. Each request's promise settles only after that commit, so a
 * 2xx always follows durability (G4). A bound on waiting events turns overload into 503s
 * instead of unbounded memory.
 */
export class Ingester {
  private queue: Pending[] = [];
  private pendingEvents = 0;
  private committing = false;
  private scheduled = false;
  private idle: Array<() => void> = [];
  /** Listeners told after each commit (the router wakes up). */
  private readonly onCommit: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly routes: RouteFn,
    private readonly options: { maxPendingEvents: number; dedupeWindowMs: number },
  ) {}

  committed(listener: () => void): void {
    this.onCommit.push(listener);
  }

  backlog(): number {
    return this.pendingEvents;
  }

  submit(source: string, items: IngestItem[], receivedAt: number): Promise<Array<number | null>> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.pendingEvents + items.length > this.options.maxPendingEvents) {
      return Promise.reject(httpError('overloaded', `the server is busy: ${this.pendingEvents} events wait for the disk; retry later`));
    }
    const events: NewEvent[] = items.map((it) => ({
      source,
      messageId: it.event.messageId,
      type: it.event.type,
      userKey: it.userKey,
      receivedAt,
      body: it.body,
      destinations: this.routes(source, it.event),
      links: identityLinks(it.event),
    }));
    this.pendingEvents += events.length;
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    // setImmediate lets every request already read from the sockets join this commit.
    setImmediate(() => void this.commit());
  }

  private async commit(): Promise<void> {
    this.scheduled = false;
    this.committing = true;
    const group = this.queue;
    this.queue = [];
    try {
      const all = group.flatMap((p) => p.events);
      const seqs = await this.store.ingest(all, Date.now() - this.options.dedupeWindowMs);
      let at = 0;
      for (const p of group) {
        p.resolve(seqs.slice(at, at + p.events.length));
        at += p.events.length;
      }
      for (const l of this.onCommit) l();
    } catch (err) {
      const failure = storageFailure(err) ?? err;
      for (const p of group) p.reject(failure);
    } finally {
      for (const p of group) this.pendingEvents -= p.events.length;
      this.committing = false;
      if (this.queue.length > 0) this.schedule();
      else for (const done of this.idle.splice(0)) done();
    }
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && !this.committing && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
