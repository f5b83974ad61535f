import { defineConfig } from '@playwright/test';
import base from '../../playwright.config.js';

// review3's browser reproductions: `npx playwright test -c test/review3/playwright.config.ts`.
export default defineConfig({ ...base, testDir: '.', testMatch: '*.spec.ts', outputDir: '../../test-results/review3' });
