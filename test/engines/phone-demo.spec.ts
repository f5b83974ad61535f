import { expect, test } from '@playwright/test';
import { closeDisplay } from '../helpers/engine-display.js';
import { startDemo } from '../helpers/engine-demo.js';
import { chromium } from './chromium.js';
import { webkit } from './webkit.js';
import type { Engine, PhoneTab } from './engine.js';

// The demo page on a phone: 390×844 with touch, in the engines whose drivers can emulate one.
const wanted = new Set((process.env.ENGINES ?? 'chromium,webkit').split(','));
const ENGINES: Engine[] = [chromium, webkit].filter((e) => wanted.has(e.name));

test.afterAll(async () => {
  await closeDisplay();
});

for (const engine of ENGINES) {
  test(`${engine.name}: the demo page works by touch in a phone viewport`, async ({}, info) => {
    const demo = await startDemo();
    const session = await engine.start();
    let tab: PhoneTab | undefined;
    try {
      tab = await session.newPhoneTab!(`${demo.base}/demo/`);
      await tab.evaluate(async () => {
        for (let i = 0; i < 400 && typeof (window as unknown as { ferry: { state?: unknown } }).ferry?.state !== 'function'; i++) await new Promise((r) => setTimeout(r, 50));
        const w = window as unknown as { __touches: number; __pointers: string[] };
        w.__touches = 0;
        w.__pointers = [];
        document.addEventListener('touchstart', () => w.__touches++, { capture: true, passive: true });
        document.addEventListener('pointerdown', (e) => w.__pointers.push(e.pointerType), { capture: true });
      }, null);
      await tab.tap('#send-one');
      await tab.tap('#burst');
      const accepted = async () => ((await (await fetch(`${demo.base}/demo/api/state`)).json()) as { received: { accepted: number } }).received.accepted;
      await expect.poll(accepted, { timeout: 60_000 }).toBe(1002);
      await expect.poll(() => tab!.evaluate(() => document.querySelector('#s-accepted')?.textContent, null), { timeout: 30_000 }).toBe('1002');
      const input = await tab.evaluate(() => {
        const w = window as unknown as { __touches: number; __pointers: string[] };
        return { touchEvents: 'ontouchstart' in window, touches: w.__touches, pointers: w.__pointers };
      }, null);
      const path = `${input.touchEvents ? 'Touch Events' : 'no Touch Events in this build'}; ${input.touches} touchstart; pointerdown types: ${input.pointers.join(', ')}`;
      info.annotations.push({ type: engine.name, description: `${session.version}: ${path}` });
      console.log(`[engines] ${engine.name} phone demo: ${path}`);
      // WebKitGTK's desktop build has no Touch Events: its driver's touch taps arrive as pointer events.
      if (input.touchEvents) expect(input.touches).toBe(2);
      expect(input.pointers).toHaveLength(2);
      const layout = await tab.evaluate(() => ({ width: window.innerWidth, overflow: document.documentElement.scrollWidth - window.innerWidth }), null);
      // MiniBrowser's window cannot be narrower than its toolbar (447 px seen): the phone width there is approximate.
      info.annotations.push({ type: engine.name, description: `viewport width ${layout.width} px` });
      expect(layout.width).toBeLessThan(500);
      expect(layout.overflow).toBeLessThanOrEqual(0);
      const shot = info.outputPath(`demo-phone-${engine.name}.png`);
      await tab.screenshot(shot);
      await info.attach(`phone-${engine.name}`, { path: shot, contentType: 'image/png' });
    } finally {
      await tab?.close().catch(() => undefined);
      await session.close();
      await demo.stop();
    }
  });
}
