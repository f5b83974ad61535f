import type { Store } from '../store/types.js';

/** Original seqs a step looks at: one step is one short transaction of the writer. */
const STEP_SEQS = 2000;
const RETRY_AFTER_ERROR_MS = 1000;

/**
 * Makes the copies of running replays, a step at a time, yielding between steps so ingestion and
 * delivery interleave; wakes the router after each step that created deliveries. A replay left
 * running by a stop or a crash is resumed at the next start (its cursor is stored).
 */
export class ReplayRunner {
  private readonly running = new Map<number, Promise<void>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly created: () => void,
    private readonly onError: (replay: number, err: unknown) => void,
  ) {}

  async resumeAll(): Promise<void> {
    for (const id of await this.store.runningReplays()) this.start(id);
  }

  start(id: number): void {
    if (this.running.has(id) || this.stopped) return;
    this.running.set(id, this.run(id).finally(() => this.running.delete(id)));
  }

  private async run(id: number): Promise<void> {
    let more = true;
    while (more && !this.stopped) {
      try {
        const step = await this.store.replayStep(id, STEP_SEQS, Date.now());
        if (step.created > 0) this.created();
        more = step.more;
        await new Promise((r) => setImmediate(r));
      } catch (err) {
        this.onError(id, err);
        await new Promise((r) => setTimeout(r, RETRY_AFTER_ERROR_MS));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running.values());
  }
}
