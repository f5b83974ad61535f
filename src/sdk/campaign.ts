/**
 * How the visitor arrived, read from the landing page: `context.campaign` (Segment's names:
 * `utm_campaign` is `name`) from the `utm_*` parameters and the ad networks' click ids, and
 * `context.referrer` when the referring page is another site's. A fixed set of names and
 * capped values: a crafted link must not make every event of a session too large to queue.
 */

const NAMES = /^(?:utm_(source|medium|campaign|term|content)|(gclid|[gw]braid|dclid|fbclid|msclkid|ttclid|twclid|li_fat_id))$/;

export interface Arrival {
  campaign?: Record<string, string>;
  referrer?: { url: string };
}

export function arrival(loc: Location, referrer: string): Arrival {
  const out: Arrival = {};
  const campaign: Record<string, string> = {};
  new URLSearchParams(loc.search).forEach((value, key) => {
    const m = NAMES.exec(key);
    if (m && value) campaign[m[1] === 'campaign' ? 'name' : m[1] ?? m[2]!] = value.slice(0, 256);
  });
  for (const _ in campaign) out.campaign = campaign;
  if (referrer && !referrer.startsWith(loc.origin + '/')) out.referrer = { url: referrer.slice(0, 1024) };
  return out;
}
