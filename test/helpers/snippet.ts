import { readFileSync } from 'node:fs';

/**
 * The copy-paste snippet exactly as the README shows it, with the script URL and the
 * load() options of a test. Testing the README's own text keeps the documentation honest.
 */
export function readmeSnippet(opts: { src: string; load: Record<string, unknown> }): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const match = readme.match(/<!-- snippet:start -->\s*```html\n([\s\S]*?)```\s*<!-- snippet:end -->/);
  if (!match) throw new Error('README.md has no snippet between <!-- snippet:start --> and <!-- snippet:end -->');
  return match[1]!
    .replace('https://cdn.example.com/ferry.iife.js', opts.src)
    .replace(/ferry\.load\(\{[^)]*\}\);/, `ferry.load(${JSON.stringify(opts.load)});`);
}
