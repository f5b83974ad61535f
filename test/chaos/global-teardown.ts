import { report } from './runner.js';

/** The summary table of the whole run, once, from the main process. */
export default function globalTeardown(): void {
  report(process.env.CHAOS_SEED ?? '?');
}
