/**
 * The <script> build. It replaces the snippet's stub `window.ferry` with the real SDK and
 * replays the recorded calls in order, with the times they were made. Zero-code form:
 *   <script src="/ferry.iife.js" data-write-key="KEY" data-endpoint="https://collect.example.com"></script>
 * loads and records a page view.
 */
import { Analytics, type RecordedCall } from './analytics.js';
import type { GzipFn } from './compress.js';
import type { LoadOptions } from './options.js';

interface Stub {
  q?: RecordedCall[];
}

declare global {
  interface Window {
    ferry?: Analytics | Stub;
  }
}

const script = document.currentScript as HTMLScriptElement | null;
const base = script?.src ? script.src.replace(/[^/]*$/, '') : '';

const existing = window.ferry;
if (!(existing instanceof Analytics)) {
  // The fallbacks are ES modules beside this file, imported only where needed: fflate where
  // CompressionStream is missing (every browser without it has dynamic import()), the
  // localStorage queue where IndexedDB fails.
  const sibling = (file: string) => import(/* @vite-ignore */ base + file);
  const analytics = new Analytics(() => sibling('ferry-gzip.js').then((m: { gzip: GzipFn }) => m.gzip), () => sibling('ferry-kv.js'));
  const calls = (existing as Stub | undefined)?.q ?? [];
  window.ferry = analytics;
  // A bad load() is the page's mistake: said on the console, the page goes on.
  const load = (options: LoadOptions) => {
    try {
      void analytics.load(options);
    } catch (err) {
      console.error('[ferry]', err);
    }
  };
  for (const call of calls) {
    if (call[0] === 'load') load(call[1][0] as LoadOptions);
    else analytics.replay([call]);
  }
  const writeKey = script?.dataset.writeKey;
  if (writeKey && calls.length === 0) {
    load({ writeKey, ...(script?.dataset.endpoint ? { endpoint: script.dataset.endpoint } : {}) });
    analytics.page();
  }
}
