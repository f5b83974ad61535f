/** The <script> form of the gzip fallback: registers itself for ferry.iife.js to find. */
import { gzip } from './gzip-fallback.js';

(window as unknown as { __ferryGzip?: typeof gzip }).__ferryGzip = gzip;
