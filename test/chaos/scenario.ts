import type { Rng } from '../helpers/chaos-random.js';
import type { Tally } from '../helpers/chaos-ledger.js';

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  rng: Rng;
  /** Runs at the end, even when the scenario fails or overruns its budget (last registered first). */
  defer(cleanup: () => unknown): void;
  /** A line for the report (what happened, not a verdict). */
  note(line: string): void;
}

export interface ScenarioResult {
  tally: Tally;
  /** Failed checks beyond the tally's own (for instance a 5xx answered to a hostile request). */
  failures: string[];
  /** Why re-sending after a 2xx is legitimate here (a browser killed between answer and delete). */
  allowResend?: string;
}

export interface Scenario {
  id: number;
  title: string;
  /** The scenario is cut off (and fails) after this long. */
  budgetMs: number;
  /** A result, or the reason the machine cannot run it (printed, counted as skipped). */
  run(ctx: ScenarioContext): Promise<ScenarioResult | { skipped: string }>;
}

/** Polls `check` every 50 ms; false when `timeoutMs` passed first. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A promise with its resolver, for a held request. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
