/**
 * The SQLite store in its own thread: ingestion's HTTP, decoding and validation keep the main
 * thread while the writer commits on the other core. Each message is one Store call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { unpackEvents } from './packed-events.js';
import { SqliteStore } from './sqlite-store.js';
import type { StoreReply, StoreRequest } from './store-messages.js';

const port = parentPort!;
const store = new SqliteStore((workerData as { dataDir: string }).dataDir);

function dispatch(req: StoreRequest): Promise<unknown> {
  switch (req.method) {
    case 'ingest': return store.ingest(unpackEvents(req.args[0]), req.args[1]);
    case 'pruneDedupe': return store.pruneDedupe(...req.args);
    case 'claim': return store.claim(...req.args);
    case 'releaseLeases': return store.releaseLeases(...req.args);
    case 'renew': return store.renew(...req.args);
    case 'settle': return store.settle(...req.args);
    case 'retryNow': return store.retryNow(...req.args);
    case 'abort': return store.abort(...req.args);
    case 'pruneSucceeded': return store.pruneSucceeded(...req.args);
    case 'counts': return store.counts(...req.args);
    case 'eventCount': return store.eventCount(...req.args);
    case 'events': return store.events(...req.args);
    case 'deliveries': return store.deliveries(...req.args);
    case 'deliveryLog': return store.deliveryLog(...req.args);
    case 'suppress': return store.suppress(...req.args);
    case 'unsuppress': return store.unsuppress(...req.args);
    case 'suppressed': return store.suppressed(...req.args);
    case 'eraseUser': return store.eraseUser(...req.args);
    case 'completeErasure': return store.completeErasure(...req.args);
    case 'pendingErasures': return store.pendingErasures(...req.args);
    case 'erasures': return store.erasures(...req.args);
    case 'setPause': return store.setPause(...req.args);
    case 'pauses': return store.pauses(...req.args);
    case 'summary': return store.summary(...req.args);
    case 'createReplay': return store.createReplay(...req.args);
    case 'replayStep': return store.replayStep(...req.args);
    case 'cancelReplay': return store.cancelReplay(...req.args);
    case 'replays': return store.replays(...req.args);
    case 'runningReplays': return store.runningReplays(...req.args);
    case 'recordViolations': return store.recordViolations(...req.args);
    case 'violations': return store.violations(...req.args);
    case 'close': return store.close(...req.args);
    default: {
      // Only a main thread from another build can get here: answer, do not crash.
      const unknown: never = req;
      return Promise.reject(new Error(`unknown store request "${(unknown as { method: string }).method}"`));
    }
  }
}

port.on('message', (req: StoreRequest) => {
  testFault(req.method);
  dispatch(req).then(
    (value) => port.postMessage({ id: req.id, ok: true, value } satisfies StoreReply),
    (err: Error) => port.postMessage({ id: req.id, ok: false, error: { message: err.message, code: (err as { code?: string }).code } } satisfies StoreReply),
  );
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies StoreReply);

/**
 * Test-only: FERRY_TEST_STORE_FAULT=exit:<method> or throw:<method> kills this thread on that
 * call, as a crash would. Unset in production; test/server/store-worker-failure.test.ts sets it.
 */
function testFault(method: string): void {
  const [how, on] = (process.env.FERRY_TEST_STORE_FAULT ?? '').split(':');
  if (on !== method) return;
  if (how === 'exit') process.exit(3);
  if (how === 'throw') throw new Error(`test fault on ${method}`);
}
