import cors from '@fastify/cors';
import fp from 'fastify-plugin';

/**
 * CORS for the ingestion routes only: any origin may send events (browsers do, from every site
 * that embeds the SDK), without credentials. Registered inside the ingestion scope, so its hooks
 * and its OPTIONS route exist there and nowhere else; the operator listener never sees it.
 */
export const ingestCors = fp(async (scope) => {
  await scope.register(cors, {
    origin: true,
    methods: ['GET', 'POST', 'OPTIONS'],
    // RudderStack's browser SDK v3 adds AnonymousId, SentAt and its Rsa-* retry headers to every
    // post; analytics-next adds X-Retry-Count to every retry (without it each retry's preflight
    // fails, and the events are dropped once its attempts run out).
    allowedHeaders: ['Content-Type', 'Content-Encoding', 'Authorization', 'X-Request-Id', 'X-Retry-Count', 'AnonymousId', 'SentAt', 'Rsa-Recovered', 'Rsa-Retry-Attempt', 'Rsa-Since-Last-Attempt', 'Rsa-Since-First-Attempt', 'Rsa-Retry-Reason'],
    exposedHeaders: ['Retry-After', 'X-Request-Id'],
    maxAge: 86400,
    credentials: false,
  });
}, { name: 'ferry-ingest-cors' });
