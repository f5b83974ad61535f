import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileDestinationConfig } from '../config.js';
import type { DeliveryItem, Destination, SendResult } from './types.js';

/**
 * Appends NDJSON to `<path>/events-YYYY-MM-DD.ndjson`, rotating to `.1`, `.2`, … when a file
 * reaches maxBytes. Each batch is written and fsynced before it counts as delivered.
 */
export class FileDestination implements Destination {
  readonly atomic = true;
  readonly name: string;
  private handle: FileHandle | undefined;
  private current = '';
  private size = 0;

  constructor(private readonly config: Readonly<FileDestinationConfig>) {
    this.name = config.name;
  }

  private async target(incoming: number): Promise<FileHandle> {
    const day = new Date().toISOString().slice(0, 10);
    if (this.handle && this.current.includes(day) && this.size + incoming <= this.config.maxBytes) return this.handle;
    await this.handle?.close();
    await mkdir(this.config.path, { recursive: true });
    for (let n = 0; ; n++) {
      const file = join(this.config.path, `events-${day}${n ? `.${n}` : ''}.ndjson`);
      const size = await stat(file).then((s) => s.size, () => 0);
      if (size === 0 || size + incoming <= this.config.maxBytes) {
        this.handle = await open(file, 'a');
        this.current = file;
        this.size = size;
        return this.handle;
      }
    }
  }

  async send(items: DeliveryItem[]): Promise<SendResult[]> {
    const text = items.map((i) => JSON.stringify(i.event)).join('\n') + '\n';
    const bytes = Buffer.byteLength(text);
    let result: SendResult;
    try {
      const fh = await this.target(bytes);
      await fh.write(text);
      await fh.sync();
      this.size += bytes;
      result = { answer: { kind: 'stored' }, error: null, response: null };
    } catch (err) {
      result = { answer: { kind: 'no-answer' }, error: (err as Error).message, response: null };
    }
    return items.map(() => result);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
