import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder (where sql/, demo/ and dist/ live), found from this module whether
 * it runs from src/ (tests) or from a dist/ chunk (the built server).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'sql')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the root of the ferry package (package.json beside sql/)');
    dir = up;
  }
  return dir;
}
