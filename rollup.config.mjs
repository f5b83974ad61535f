import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import resolve from '@rollup/plugin-node-resolve';
import { dts } from 'rollup-plugin-dts';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const serverExternal = [...Object.keys(pkg.dependencies), /^node:/];

// Type checking is `npm run typecheck`; the build only transpiles, so it stays fast.
const ts = () => typescript({ tsconfig: './tsconfig.json', include: ['src/**/*.ts', 'demo/**/*.ts'], compilerOptions: { sourceMap: true, declaration: false, noEmitOnError: false, outDir: undefined }, noForceEmit: false, outputToFilesystem: false });
/**
 * Property names private to the SDK's classes, never part of the public API, the wire format
 * or stored data, are shortened like local variables (as preact does with its mangle list).
 * Only distinctive names are listed, so that nothing in fflate can collide, and none
 * may equal a key of a returned object (state().inFlight, state().lock...): the e2e tests read
 * those through the built bundle.
 */
const PRIVATE_PROPS = ['again', 'callTimeMs', 'deps', 'detach', 'draining', 'emitError', 'emitter', 'enqueue', 'flusher', 'guard', 'gzipFallback', 'identity', 'keepaliveBytes', 'loadFallback', 'maxEvents', 'mirror', 'onWritten', 'preload', 'readyPromise', 'stopped', 'timerAt', 'useCookie', 'writing', 'written', 'writtenSinceFlush', 'setBackoff', 'drain', 'drop', 'unacknowledged', 'forget', 'pendingWrites', 'settled', 'inFlightCount', 'isDraining', 'backoffState', 'flushOnExit', 'listeners', 'schedule', 'attach', 'timer', 'scheduled', 'pending', 'closed', 'flushLock', 'compress', 'sending', 'chain', 'busy', 'sync', 'save', 'mirror', 'MIRROR_MAX', 'keepaliveBytes'];
const min = () => terser({
  ecma: 2022,
  module: true,
  toplevel: true,
  compress: { passes: 3, pure_getters: true, unsafe: true, unsafe_arrows: true, unsafe_methods: true },
  mangle: { properties: { regex: new RegExp(`^(${PRIVATE_PROPS.join('|')})$`) } },
});

export default [
  // npm entry: tree-shakeable ESM; fflate lands in its own lazily imported chunk.
  {
    input: { index: 'src/sdk/index.ts' },
    output: { dir: 'dist/sdk', format: 'es', sourcemap: true, chunkFileNames: '[name]-[hash].js' },
    plugins: [resolve({ browser: true }), ts(), min()],
  },
  // <script> build: one global (window.ferry), no fflate inside.
  {
    input: 'src/sdk/global.ts',
    output: { file: 'dist/ferry.iife.js', format: 'iife', sourcemap: true },
    plugins: [resolve({ browser: true }), ts(), min()],
  },
  // The <script> build's gzip fallback: an ES module at a stable name beside ferry.iife.js.
  {
    input: 'src/sdk/gzip-fallback.ts',
    output: { file: 'dist/ferry-gzip.js', format: 'es', sourcemap: true },
    plugins: [resolve({ browser: true }), ts(), min()],
  },
  {
    input: { index: 'src/protocol/index.ts' },
    output: { dir: 'dist/protocol', format: 'es', sourcemap: true },
    plugins: [ts()],
  },
  {
    input: { index: 'src/server/index.ts', cli: 'src/server/cli.ts', checkpointer: 'src/server/store/checkpointer.ts', 'store-worker': 'src/server/store/store-worker.ts' },
    // The demo's server mode is a lazily imported chunk of the CLI.
    output: { dir: 'dist/server', format: 'es', sourcemap: true, chunkFileNames: '[name]-[hash].js' },
    external: serverExternal,
    plugins: [ts()],
  },
  {
    input: { 'sdk/index': 'src/sdk/index.ts', 'protocol/index': 'src/protocol/index.ts', 'server/index': 'src/server/index.ts' },
    output: { dir: 'dist', format: 'es' },
    external: serverExternal,
    plugins: [dts({ tsconfig: './tsconfig.json' })],
  },
];
