import { gunzip, inflate, type InputType } from 'node:zlib';
import { promisify } from 'node:util';
import { httpError } from '../errors.js';

const gunzipAsync = promisify<InputType, { maxOutputLength: number }, Buffer>(gunzip);
const inflateAsync = promisify<InputType, { maxOutputLength: number }, Buffer>(inflate);

/**
 * Turns a raw request body into JSON text within `maxBytes` decompressed. gzip is recognised
 * by Content-Encoding or by its magic bytes (browsers send gzip as text/plain to skip the CORS
 * preflight). The limit is enforced while inflating (zlib stops at maxOutputLength), so a
 * decompression bomb costs at most maxBytes of memory.
 */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<string> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  const magicGzip = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
  let plain: Buffer;
  if (encoding === 'gzip' || encoding === 'x-gzip' || (magicGzip && (encoding === '' || encoding === 'identity'))) {
    plain = await inflateWith(gunzipAsync, raw, maxBytes, 'gzip');
  } else if (encoding === 'deflate') {
    plain = await inflateWith(inflateAsync, raw, maxBytes, 'deflate');
  } else if (encoding === '' || encoding === 'identity') {
    plain = raw;
  } else {
    throw httpError('unsupported_encoding', `Content-Encoding "${encoding}" is not supported; send gzip, deflate or identity`);
  }
  if (plain.length > maxBytes) throw httpError('batch_too_large', `the body is ${plain.length} bytes decompressed, over the ${maxBytes}-byte limit`);
  return plain.toString('utf8');
}

async function inflateWith(fn: typeof gunzipAsync, raw: Buffer, maxBytes: number, name: string): Promise<Buffer> {
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
