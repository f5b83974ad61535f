/** gzip with the browser's CompressionStream; a loader supplies fflate only where that is missing. */

export type GzipFn = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;
export type GzipLoader = () => Promise<GzipFn>;

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 byte length; the common all-ASCII case costs one regex scan, no allocation. */
export function utf8Length(text: string): number {
  return NON_ASCII.test(text) ? utf8(text).byteLength : text.length;
}

async function nativeGzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Returns a compressor: gzip bytes, or the plain UTF-8 bytes when no gzip is available at
 * all (the server accepts both: it detects gzip by its magic bytes).
 */
export function createCompressor(loadFallback?: GzipLoader): (text: string) => Promise<Uint8Array> {
  let fallback: Promise<GzipFn | undefined> | undefined;
  return async (text) => {
    const data = utf8(text);
    try {
      return await nativeGzip(data);
    } catch {
      // No CompressionStream here (a ReferenceError), or it failed: the fallback below.
    }
    fallback ??= Promise.resolve(loadFallback?.()).catch(() => undefined);
    return (await fallback)?.(data) ?? data;
  };
}
