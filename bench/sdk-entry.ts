// Bench-only bundle: the real SDK plus its event builder, so that track() can be compared
// with building the same event and nothing else.
import { Analytics } from '../src/sdk/analytics.js';
import { buildEvent } from '../src/sdk/event-builder.js';
import { envelope } from '../src/sdk/flusher.js';

(globalThis as unknown as Record<string, unknown>).ferryBench = { Analytics, buildEvent, envelope };
