import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { seededRandom } from '../helpers/chaos-random.js';
import type { Scenario, ScenarioResult } from './scenario.js';

/** One line of the summary table. */
export interface Row {
  id: number;
  title: string;
  seed: number;
  verdict: 'pass' | 'FAIL' | 'skip';
  tracked?: number;
  delivered?: number;
  lost?: number;
  twice?: number;
  copies?: number;
  resentAfterAck?: number;
  orderBreaks?: number;
  seconds: number;
  /** Why it failed or was skipped, and what happened. */
  lines: string[];
}

function withBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`over its ${ms / 1000} s budget`)), ms);
  });
  return Promise.race([work, cut]).finally(() => clearTimeout(timer));
}

/** The tally's own rules: nothing lost, nothing twice, order kept, nothing re-sent once acknowledged. */
function verdictOf(result: ScenarioResult): string[] {
  const t = result.tally;
  const out = [...result.failures];
  if (t.tracked === 0) out.push('nothing was tracked: the scenario proved nothing');
  if (t.lost) out.push(`${t.lost} event(s) lost`);
  if (t.twice) out.push(`${t.twice} event(s) delivered twice`);
  if (t.orderBreaks) out.push(`${t.orderBreaks} order break(s)`);
  if (t.resentAfterAck && !result.allowResend) out.push(`${t.resentAfterAck} event(s) put on the wire again after their 2xx had reached the page`);
  return out;
}

/** Runs one scenario under its budget; cleanups always run. Never throws: the row says what happened. */
export async function runScenario(scenario: Scenario, seed: number): Promise<Row> {
  const started = Date.now();
  const cleanups: Array<() => unknown> = [];
  const notes: string[] = [];
  const row: Row = { id: scenario.id, title: scenario.title, seed, verdict: 'FAIL', seconds: 0, lines: [] };
  try {
    const result = await withBudget(
      scenario.run({ rng: seededRandom(seed), defer: (c) => void cleanups.push(c), note: (l) => void notes.push(l) }),
      scenario.budgetMs,
    );
    if ('skipped' in result) {
      row.verdict = 'skip';
      row.lines.push(`skipped: ${result.skipped}`);
    } else {
      const { findings, ...counts } = result.tally;
      Object.assign(row, counts);
      const failures = verdictOf(result);
      row.verdict = failures.length ? 'FAIL' : 'pass';
      row.lines.push(...failures, ...findings);
    }
  } catch (err) {
    row.lines.push(`error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await withBudget(Promise.resolve(c()), 20_000);
      } catch (err) {
        notes.push(`cleanup failed: ${String(err)}`);
      }
    }
    row.lines.push(...notes);
    row.seconds = Math.round((Date.now() - started) / 1000);
  }
  return row;
}

const cell = (v: number | undefined) => (v === undefined ? '–' : String(v));

export function summaryTable(rows: Row[]): string {
  const head = '| # | scenario | tracked | delivered | lost | twice | copies at destination | resent after a 2xx | order breaks | s | result |';
  const lines = rows.map((r) => `| ${r.id} | ${r.title} | ${cell(r.tracked)} | ${cell(r.delivered)} | ${cell(r.lost)} | ${cell(r.twice)} | ${cell(r.copies)} | ${cell(r.resentAfterAck)} | ${cell(r.orderBreaks)} | ${r.seconds} | ${r.verdict} |`);
  return [head, '|---|---|---|---|---|---|---|---|---|---|---|', ...lines].join('\n');
}

/**
 * Rows go to a file as each scenario ends: Playwright replaces its worker process after a failed
 * test, so the table is assembled at the end by the main process (global teardown).
 */
const ROWS_FILE = 'test-results/chaos-rows.jsonl';

export function resetRows(): void {
  rmSync(ROWS_FILE, { force: true });
}

export function keepRow(row: Row): void {
  mkdirSync('test-results', { recursive: true });
  appendFileSync(ROWS_FILE, `${JSON.stringify(row)}\n`);
}

/** Prints the table and keeps it in test-results/chaos-summary.md for the README. */
export function report(seed: string): void {
  if (!existsSync(ROWS_FILE)) return;
  const rows = readFileSync(ROWS_FILE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row).sort((a, b) => a.id - b.id);
  const table = summaryTable(rows);
  process.stdout.write(`\nChaos suite, seed ${seed} (repeat: CHAOS_SEED=${seed} npm run test:chaos):\n${table}\n`);
  writeFileSync('test-results/chaos-summary.md', `seed ${seed}\n\n${table}\n`);
}
