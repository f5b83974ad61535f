import type { DestinationConfig } from '../config.js';
import type { ArchiveLock } from '../store/types.js';
import { FileDestination } from './file.js';
import { MemoryDestination } from './memory.js';
import type { Destination } from './types.js';
import { WebhookDestination } from './webhook.js';

/** `archiveLock`: the store's, for file archives that other processes write too. */
export function createDestination(config: Readonly<DestinationConfig>, archiveLock?: ArchiveLock): Destination {
  switch (config.type) {
    case 'webhook':
      return new WebhookDestination(config);
    case 'file':
      return new FileDestination(config, archiveLock);
    case 'memory':
      return new MemoryDestination(config);
  }
}

export { MemoryDestination, WebhookDestination, FileDestination };
export type { Destination, DeliveryItem, SendResult } from './types.js';
