import { defineConfig } from 'vitest/config';

/**
 * The suites that run once per store: the same files, against the embedded SQLite (project
 * `sqlite`, with everything else) and against PostgreSQL (project `postgres`: FERRY_TEST_STORE
 * makes test/helpers/ferry-process.ts give each server a database of its own on one cluster
 * that test/helpers/postgres.ts starts for the whole run).
 */
const BOTH_STORES = [
  'test/server/ingest.test.ts',
  'test/server/ingest-poison.test.ts',
  'test/server/durability.test.ts',
  'test/server/router.test.ts',
  'test/server/router-lease.test.ts',
  'test/server/admin.test.ts',
  'test/server/admin-abort.test.ts',
  'test/server/ops-summary.test.ts',
  'test/server/ops-pause-replay.test.ts',
  'test/server/ops-plans.test.ts',
  'test/server/plan-violation-nul.test.ts',
  'test/server/webhook-nul-answer.test.ts',
  'test/server/nul-text.test.ts',
];

// SDK units pick happy-dom per file (`@vitest-environment happy-dom`) with fake-indexeddb;
// everything else runs in node. Browser-level proofs live in test/e2e (Playwright).
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts', 'test/compat/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...BOTH_STORES, 'test/postgres/**/*.test.ts'],
          env: { FERRY_TEST_STORE: 'postgres' },
          globalSetup: ['test/helpers/postgres.ts'],
        },
      },
    ],
  },
});
