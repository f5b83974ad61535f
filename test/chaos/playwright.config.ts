import { defineConfig } from '@playwright/test';
import base from '../../playwright.config.js';
import { chaosSeed } from '../helpers/chaos-random.js';

// One seed for the whole run: workers (a new one after each failed test) inherit it.
process.env.CHAOS_SEED = String(chaosSeed());

// The chaos suite (`npm run test:chaos`, part of `npm test`): its own run, after the e2e tests,
// because each scenario sets up its own processes and browsers and has its own time budget.
export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: 'chaos.spec.ts',
  timeout: 180_000,
  outputDir: '../../test-results/chaos',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
});
