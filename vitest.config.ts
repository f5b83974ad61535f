import { defineConfig } from 'vitest/config';

// SDK units pick happy-dom per file (`@vitest-environment happy-dom`) with fake-indexeddb;
// everything else runs in node. Browser-level proofs live in test/e2e (Playwright).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts', 'test/compat/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
