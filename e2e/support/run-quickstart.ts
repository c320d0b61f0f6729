// Runs `npm start` (scripts/quickstart.ts) as a newcomer would, as a real child process, and
// returns its exit code and everything it printed. `--no-desktop --exit-when-done` are always on.
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '@retaia/protocol/testing/shared-media.js';

export async function runQuickstart(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/quickstart.ts', ...args, '--no-desktop', '--exit-when-done'],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    // Ctrl-C on overrun, so the run still stops cleanly and the assertion shows its output.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, out };
}
