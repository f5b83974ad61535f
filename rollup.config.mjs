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
 * Minified without a list of property names to mangle: the SDK's internals are native #private
 * members and module-level functions or closures, which terser shortens by itself.
 */
const min = () => terser({
  ecma: 2022,
  module: true,
  toplevel: true,
  compress: { passes: 3, pure_getters: true, unsafe: true, unsafe_arrows: true, unsafe_methods: true },
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
  // The <script> build's lazy fallbacks, ES modules at stable names beside ferry.iife.js: gzip
  // (fflate) and the localStorage queue.
  ...[['gzip', 'src/sdk/gzip-fallback.ts'], ['kv', 'src/sdk/queue-kv.ts']].map(([name, input]) => ({
    input,
    output: { file: `dist/ferry-${name}.js`, format: 'es', sourcemap: true },
    plugins: [resolve({ browser: true }), ts(), min()],
  })),
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
