import { gunzip, gunzipSync, inflate, inflateSync, type InputType } from 'node:zlib';
import { promisify } from 'node:util';
import { MAX_BATCH_BYTES } from '../../protocol/limits.js';
import { httpError } from '../errors.js';

type Inflate = (raw: InputType, options: { maxOutputLength: number }) => Buffer | Promise<Buffer>;

const gunzipAsync = promisify<InputType, { maxOutputLength: number }, Buffer>(gunzip);
const inflateAsync = promisify<InputType, { maxOutputLength: number }, Buffer>(inflate);

/**
 * Up to this decompressed limit a body is inflated on the main thread, synchronously. zlib stops
 * at maxOutputLength whatever the input, so the event loop is held at most for inflating this
 * many bytes (about a millisecond here), less than the JSON.parse of the same text that follows
 * on the same thread; the asynchronous path costs the main thread more than that per batch (the
 * hand-off to the thread pool and back: 190–350 µs per 100-event batch against 70–90 µs). The
 * config caps maxBatchBytes at the protocol's limit, so the server always takes this path; a
 * caller with a larger limit gets the asynchronous one.
 */
export const SYNC_INFLATE_MAX_BYTES = MAX_BATCH_BYTES;

/**
 * Turns a raw request body into JSON text within `maxBytes` decompressed. gzip is recognised
 * by Content-Encoding or by its magic bytes (browsers send gzip as text/plain to skip the CORS
 * preflight). The limit is enforced while inflating (zlib stops at maxOutputLength), so a
 * decompression bomb costs at most maxBytes of memory.
 */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<string> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  const magicGzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  const sync = maxBytes <= SYNC_INFLATE_MAX_BYTES;
  let plain: Buffer;
  if (encoding === 'gzip' || encoding === 'x-gzip' || (magicGzip && (encoding === '' || encoding === 'identity'))) {
    plain = await inflateWith(sync ? gunzipSync : gunzipAsync, raw, maxBytes, 'gzip');
  } else if (encoding === 'deflate') {
    plain = await inflateWith(sync ? inflateSync : inflateAsync, raw, maxBytes, 'deflate');
  } else if (encoding === '' || encoding === 'identity') {
    plain = raw;
  } else {
    throw httpError('unsupported_encoding', `Content-Encoding "${encoding}" is not supported; send gzip, deflate or identity`);
  }
  if (plain.length > maxBytes) throw httpError('batch_too_large', `the body is ${plain.length} bytes decompressed, over the ${maxBytes}-byte limit`);
  return plain.toString('utf8');
}

async function inflateWith(fn: Inflate, raw: Buffer, maxBytes: number, name: string): Promise<Buffer> {
  try {
    // One byte over the limit tells "exactly at the limit" from "over it".
    return await fn(raw, { maxOutputLength: maxBytes + 1 });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw httpError('batch_too_large', `the body inflates to more than the ${maxBytes}-byte limit`);
    }
    throw httpError('invalid_gzip', `the body is not valid ${name} data (${(err as Error).message})`);
  }
}
