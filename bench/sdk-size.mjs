// What each source module costs in a minified bundle, read from its source map: every
// generated character belongs to the source of the mapping segment it follows. `npm run
// bench:sdk` prints it for the IIFE, so the cost of a feature is visible per module.
import { decode } from '@jridgewell/sourcemap-codec';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const gzip = (text) => gzipSync(text, { level: 9 }).length;

/**
 * Rows of { module, bytes, gzip, saves } for a built file with a `.map` beside it, largest
 * first. `gzip` is the module's text compressed alone (an upper bound of what it adds);
 * `saves` is what the whole file's gzip loses without the module's text (what it does add,
 * the rest of the bundle compressing its repeats).
 */
export function sizeByModule(file) {
  const code = readFileSync(file, 'utf8');
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8'));
  const pieces = new Map();
  /** [module, text] in file order, so the file can be put together again without one module. */
  const order = [];
  const add = (source, text) => {
    if (!text) return;
    const name = source === undefined ? '(no mapping)' : map.sources[source].replace(/^(\.\.\/)+/, '').replace(/^node_modules\//, '');
    pieces.set(name, (pieces.get(name) ?? '') + text);
    order.push([name, text]);
  };
  const mappings = decode(map.mappings);
  code.split('\n').forEach((line, i) => {
    const segments = mappings[i] ?? [];
    let at = 0;
    let source;
    for (const seg of segments) {
      add(source, line.slice(at, seg[0]));
      at = seg[0];
      source = seg.length > 1 ? seg[1] : undefined;
    }
    add(source, line.slice(at) + (i < mappings.length - 1 ? '\n' : ''));
  });
  const whole = gzip(code);
  const without = (module) => order.filter(([name]) => name !== module).map(([, text]) => text).join('');
  return [...pieces]
    .map(([module, text]) => ({ module, bytes: Buffer.byteLength(text), gzip: gzip(text), saves: whole - gzip(without(module)) }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** A markdown table: module, minified bytes, share of the bundle, gzip of the module's bytes alone. */
export function sizeTable(file) {
  const rows = sizeByModule(file);
  const total = rows.reduce((n, r) => n + r.bytes, 0);
  const wholeGzip = gzip(readFileSync(file));
  return [
    `${relative(process.cwd(), file)}: ${total} B minified, ${wholeGzip} B gzip. A module's gzip alone is an upper bound of what it adds; "gzip without it" is what the whole file's gzip loses when the module's text is taken out: what the module really costs, and the most that rewriting it can win.`,
    '',
    '| module | minified | share | gzip alone | gzip without it |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.module} | ${r.bytes} B | ${((100 * r.bytes) / total).toFixed(1)} % | ${r.gzip} B | −${r.saves} B |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(sizeTable(process.argv[2] ?? new URL('../dist/ferry.iife.js', import.meta.url).pathname));
}
