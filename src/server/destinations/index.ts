import type { DestinationConfig } from '../config.js';
import { FileDestination } from './file.js';
import { MemoryDestination } from './memory.js';
import type { Destination } from './types.js';
import { WebhookDestination } from './webhook.js';

export function createDestination(config: Readonly<DestinationConfig>): Destination {
  switch (config.type) {
    case 'webhook':
      return new WebhookDestination(config);
    case 'file':
      return new FileDestination(config);
    case 'memory':
      return new MemoryDestination(config);
  }
}

export { MemoryDestination, WebhookDestination, FileDestination };
export type { Destination, DeliveryItem, SendResult } from './types.js';
