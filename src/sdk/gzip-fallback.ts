import { gzipSync } from 'fflate';
import type { GzipFn } from './compress.js';

/** Loaded on demand only where CompressionStream is missing: a separate chunk. */
export const gzip: GzipFn = (data) => gzipSync(data, { level: 6, mtime: 0 });
