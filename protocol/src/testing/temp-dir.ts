// Temp folders for tests that are removed when the test file's process exits, whatever the
// test did with them (daemons killed mid-write, fixtures shared by several tests). Node's test
// runner runs each file in its own process, so "exit" is the end of that file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 2 });
    });
  }
  return dir;
}
