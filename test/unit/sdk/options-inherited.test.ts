import { describe, expect, it } from 'vitest';
import { resolveOptions, type LoadOptions } from '../../../src/sdk/options.js';
import { consentAtLoad } from '../../../src/sdk/consent.js';

// Options are read by name: a page's options may come from a prototype (defaults through
// Object.create) or a config class's getters. A spread (`...user`) copies own enumerable
// properties only: with it, load() accepted an inherited writeKey (its check reads by name) and
// then sent batches without one, and an inherited consent: 'denied' started granted.
describe('load() options that the page object inherits', () => {
  class SiteConfig {
    get writeKey() {
      return 'wk_site';
    }
    get consent() {
      return 'denied' as const;
    }
  }

  it('keeps an inherited writeKey (a getter of a config class)', () => {
    const resolved = resolveOptions(new SiteConfig() as unknown as LoadOptions);
    expect(resolved.writeKey).toBe('wk_site');
  });

  it("keeps an inherited consent: 'denied' (defaults through Object.create), so nothing is sent", () => {
    const defaults = { consent: 'denied' as const };
    const options = Object.assign(Object.create(defaults) as LoadOptions, { writeKey: 'wk' });
    const resolved = resolveOptions(options);
    expect(resolved.consent).toBe('denied');
    // What the SDK then starts with (node: no localStorage, so nothing stored interferes).
    expect(consentAtLoad(resolved.consent, resolved.gpc).state).toBe('denied');
  });
});
