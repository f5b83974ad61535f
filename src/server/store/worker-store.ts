import { Worker } from 'node:worker_threads';
import { httpError } from '../errors.js';
import { packEvents, type PackedEvents } from './packed-events.js';
import type { StoreMethod, StoreReply, StoreRequest, StoreResult } from './store-messages.js';
import type { Store } from './types.js';

type Pending = { resolve: (v: never) => void; reject: (e: unknown) => void };

/**
 * A Store whose every call runs in the store worker thread (store-worker.ts). Calls are
 * answered in order; the worker owns the only connection that writes.
 *
 * If the thread dies (an uncaught exception, process.exit inside it, running out of heap:
 * Node ends a worker that reaches its heap limit with ERR_WORKER_OUT_OF_MEMORY), every call in
 * flight and every later call rejects at once with a 503 error, and `failed` settles with the
 * reason: the server stops and the process exits non-zero (cli.ts). A native crash inside the
 * thread takes the whole process down by itself, which a supervisor sees the same way.
 */
export class WorkerStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly failed: Promise<Error>;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  private closing = false;
  private reportFailure!: (err: Error) => void;

  private constructor(private readonly worker: Worker) {
    this.failed = new Promise((resolve) => (this.reportFailure = resolve));
    worker.on('message', (msg: StoreReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value as never);
      else p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
    });
    worker.on('error', (err) => this.died(`threw: ${err.message}`, err));
    worker.on('exit', (code) => this.died(`exited with code ${code}`));
  }

  static async open(file: URL, dataDir: string): Promise<WorkerStore> {
    const worker = new Worker(file, { workerData: { dataDir } });
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        worker.off('message', onMessage).off('error', done).off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (msg: StoreReply) => msg.id === 0 && done();
      const onExit = (code: number) => done(new Error(`the store worker exited with code ${code} while opening the store`));
      worker.on('message', onMessage).on('error', done).on('exit', onExit);
    });
    return new WorkerStore(worker);
  }

  private died(why: string, cause?: Error): void {
    if (this.failure) return;
    // The exit that follows close() is the expected one.
    if (this.closing && !cause) return void this.rejectPending(new Error('the store is closed'));
    this.failure = new Error(`the store worker ${why}`, { cause });
    this.rejectPending(this.unavailable());
    this.reportFailure(this.failure);
  }

  private unavailable(): Error {
    return httpError('shutting_down', 'the storage worker stopped; nothing more is stored, retry shortly');
  }

  private rejectPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<M extends StoreMethod>(method: M, ...args: M extends 'ingest' ? [PackedEvents, number] : Parameters<Store[M]>): Promise<StoreResult<M>> {
    if (this.failure) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, method, args } as StoreRequest);
      } catch (err) {
        this.pending.delete(id);
        reject(err);
      }
    });
  }

  ingest(...[events, dedupeCutoff]: Parameters<Store['ingest']>) { return this.call('ingest', packEvents(events), dedupeCutoff); }
  pruneDedupe(...a: Parameters<Store['pruneDedupe']>) { return this.call('pruneDedupe', ...a); }
  claim(...a: Parameters<Store['claim']>) { return this.call('claim', ...a); }
  releaseLeases(...a: Parameters<Store['releaseLeases']>) { return this.call('releaseLeases', ...a); }
  renew(...a: Parameters<Store['renew']>) { return this.call('renew', ...a); }
  settle(...a: Parameters<Store['settle']>) { return this.call('settle', ...a); }
  retryNow(...a: Parameters<Store['retryNow']>) { return this.call('retryNow', ...a); }
  abort(...a: Parameters<Store['abort']>) { return this.call('abort', ...a); }
  pruneSucceeded(...a: Parameters<Store['pruneSucceeded']>) { return this.call('pruneSucceeded', ...a); }
  counts(...a: Parameters<Store['counts']>) { return this.call('counts', ...a); }
  eventCount(...a: Parameters<Store['eventCount']>) { return this.call('eventCount', ...a); }
  events(...a: Parameters<Store['events']>) { return this.call('events', ...a); }
  deliveries(...a: Parameters<Store['deliveries']>) { return this.call('deliveries', ...a); }
  deliveryLog(...a: Parameters<Store['deliveryLog']>) { return this.call('deliveryLog', ...a); }
  suppress(...a: Parameters<Store['suppress']>) { return this.call('suppress', ...a); }
  unsuppress(...a: Parameters<Store['unsuppress']>) { return this.call('unsuppress', ...a); }
  suppressed(...a: Parameters<Store['suppressed']>) { return this.call('suppressed', ...a); }
  eraseUser(...a: Parameters<Store['eraseUser']>) { return this.call('eraseUser', ...a); }
  completeErasure(...a: Parameters<Store['completeErasure']>) { return this.call('completeErasure', ...a); }
  pendingErasures(...a: Parameters<Store['pendingErasures']>) { return this.call('pendingErasures', ...a); }
  erasures(...a: Parameters<Store['erasures']>) { return this.call('erasures', ...a); }
  setPause(...a: Parameters<Store['setPause']>) { return this.call('setPause', ...a); }
  pauses(...a: Parameters<Store['pauses']>) { return this.call('pauses', ...a); }
  summary(...a: Parameters<Store['summary']>) { return this.call('summary', ...a); }
  createReplay(...a: Parameters<Store['createReplay']>) { return this.call('createReplay', ...a); }
  replayStep(...a: Parameters<Store['replayStep']>) { return this.call('replayStep', ...a); }
  cancelReplay(...a: Parameters<Store['cancelReplay']>) { return this.call('cancelReplay', ...a); }
  replays(...a: Parameters<Store['replays']>) { return this.call('replays', ...a); }
  runningReplays(...a: Parameters<Store['runningReplays']>) { return this.call('runningReplays', ...a); }
  recordViolations(...a: Parameters<Store['recordViolations']>) { return this.call('recordViolations', ...a); }
  violations(...a: Parameters<Store['violations']>) { return this.call('violations', ...a); }

  async close(): Promise<void> {
    if (this.failure) return; // the thread is gone; nothing is left to close
    this.closing = true;
    try {
      await this.call('close');
    } finally {
      await this.worker.terminate();
    }
  }
}
