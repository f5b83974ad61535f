import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, SYNC_INFLATE_MAX_BYTES } from '../../../src/server/http/decode.js';

const json = (bytes: number) => `{"pad":"${'x'.repeat(bytes - 10)}"}`;
// 64 MB of zeros in about 64 KB: whatever the path, zlib must stop at the limit.
const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));

/** Whether decodeBody settled before the event loop turned once (setImmediate runs after any I/O callback of the turn). */
async function settlesWithinTheTask(body: Promise<string>): Promise<boolean> {
  let turned = false;
  setImmediate(() => (turned = true));
  await body;
  return !turned;
}

describe('decoding a request body', () => {
  it('inflates a batch-sized gzip body on the main thread: it is decoded before the event loop turns', async () => {
    const text = json(200_000);
    const decoded = decodeBody(gzipSync(Buffer.from(text)), undefined, SYNC_INFLATE_MAX_BYTES);
    expect(await settlesWithinTheTask(decoded)).toBe(true);
    expect(await decoded).toBe(text);
  });

  // Both paths must keep the limit while inflating and tell bad data from big data.
  describe.each([
    ['synchronously (limit within the bound)', 4096],
    ['asynchronously (limit above the bound)', SYNC_INFLATE_MAX_BYTES + 4096],
  ])('%s', (_path, limit) => {
    it('takes a body exactly at the limit and refuses one byte more, gzip and deflate alike', async () => {
      const at = json(limit);
      expect(await decodeBody(gzipSync(Buffer.from(at)), 'gzip', limit)).toBe(at);
      expect(await decodeBody(deflateSync(Buffer.from(at)), 'deflate', limit)).toBe(at);
      await expect(decodeBody(gzipSync(Buffer.from(json(limit + 1))), undefined, limit)).rejects.toMatchObject({ code: 'batch_too_large' });
      await expect(decodeBody(deflateSync(Buffer.from(json(limit + 1))), 'deflate', limit)).rejects.toMatchObject({ code: 'batch_too_large' });
    });

    it('stops a decompression bomb at the limit (413), and calls broken data a 400', async () => {
      await expect(decodeBody(bomb, 'gzip', limit)).rejects.toMatchObject({ code: 'batch_too_large', message: expect.stringMatching(/inflates to more than/) });
      await expect(decodeBody(bomb.subarray(0, 20), undefined, limit)).rejects.toMatchObject({ code: 'invalid_gzip' });
      await expect(decodeBody(Buffer.from('not gzip at all'), 'gzip', limit)).rejects.toMatchObject({ code: 'invalid_gzip' });
      await expect(decodeBody(Buffer.from('not deflate'), 'deflate', limit)).rejects.toMatchObject({ code: 'invalid_gzip', message: expect.stringMatching(/deflate/) });
    });
  });
});
