import { cleanup, tempDir } from './ferry-process.js';
import { spawnGroup } from './engine-process.js';

/** `ferry demo` on a free port with its own data folder, for the phone tests of the demo page. */
export async function startDemo(): Promise<{ base: string; stop(): Promise<void> }> {
  const dataDir = tempDir('ferry-demo-');
  const proc = spawnGroup(process.execPath, [new URL('../../bin/ferry.js', import.meta.url).pathname, 'demo', '--port', '0', '--data', dataDir]);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${proc.output()}`)), 20_000);
    proc.proc.stdout!.on('data', () => {
      const m = proc.output().match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void proc.exited.then(() => reject(new Error(`demo exited:\n${proc.output()}`)));
  });
  return {
    base,
    async stop() {
      await proc.kill('SIGTERM');
      cleanup(dataDir);
    },
  };
}
