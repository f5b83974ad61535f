import { defineConfig } from '@playwright/test';
import base from '../../playwright.config.js';

// review2's browser reproductions: `npx playwright test -c test/review2/playwright.config.ts`.
export default defineConfig({ ...base, testDir: '.', testMatch: '*.spec.ts', outputDir: '../../test-results/review2' });
