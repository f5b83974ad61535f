import { defineConfig } from '@playwright/test';

/**
 * The engine suite: the shared scenarios in Chromium, Firefox ESR and WebKitGTK, each driven
 * through its own remote protocol (test/engines/<engine>.ts), plus Chromium's phone lifecycle and
 * the demo on a phone. Browsers are launched by the drivers, not by Playwright's fixtures.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  timeout: 150_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../../test-results/engines',
});
