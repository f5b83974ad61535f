import { afterAll, beforeAll } from 'vitest';
import { cleanup, startFerry, type FerryProcess } from './ferry-process.js';

/**
 * One `ferry serve` process for a whole vitest file: started before its tests, killed and its
 * data removed after. The returned object is filled in by beforeAll.
 */
export function ferryForFile(writeKey: string): FerryProcess {
  const handle = {} as FerryProcess;
  beforeAll(async () => {
    Object.assign(handle, await startFerry({ args: ['--write-key', writeKey] }));
  });
  afterAll(async () => {
    await handle.kill();
    cleanup(handle.dataDir);
  });
  return handle;
}
