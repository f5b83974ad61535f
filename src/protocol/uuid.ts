/**
 * UUID v4: crypto.randomUUID where present (secure contexts only), else built from
 * getRandomValues, which every browser with IndexedDB has, on http: pages too: each `0` and `1`
 * of the template becomes a random hex digit, `8` one of 8-b (the RFC 4122 variant), `4` stays.
 */
export function uuidv4(): string {
  const c = globalThis.crypto;
  return c.randomUUID?.() ?? '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) => (+d ^ (c.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+d / 4)))).toString(16));
}
