/** A plain-text table for people: a header row, columns padded, numbers right-aligned. */
export type Cell = string | number | null | undefined;

export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined || c === '' ? '-' : oneLine(String(c)))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** Control characters (an event's name can hold any) would move a terminal's cursor. */
export function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));
export const millis = (n: number | null | undefined) => (n === null || n === undefined ? null : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);
