import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isPlainObject, jsonKind } from '../../protocol/json.js';
import { httpError } from '../errors.js';
import { decodeBody } from './decode.js';

/**
 * The ingestion scope's only body parser, for every content type (browsers send gzip as
 * text/plain to skip the preflight): decode within the limit, then JSON, then "an object".
 * Anything that cannot be read as a whole is a 400 here; what one event holds is judged later,
 * event by event.
 */
export const ingestBody = fp<{ maxBatchBytes: number }>(async (scope, { maxBatchBytes }) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, async (req: FastifyRequest, raw: Buffer) => {
    if (raw.length === 0) throw httpError('invalid_body', 'the request has no body; send a JSON object');
    const text = await decodeBody(raw, req.headers['content-encoding'], maxBatchBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      // A SyntaxError, or a RangeError from an engine whose parser recurses: either way the body
      // as a whole cannot be read, which is the client's 400, never our 500.
      throw httpError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(body)) throw httpError('invalid_body', `the body must be a JSON object, got ${jsonKind(body)}`);
    return body;
  });
}, { name: 'ferry-ingest-body' });
