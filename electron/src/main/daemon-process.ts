// Starts the bundled daemon entry as a detached background process of its own, so it keeps
// working (and keeps its lock) independently of the window and survives an app crash.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface DaemonProcessOptions {
  /** Path of dist/daemon.cjs. */
  entry: string;
  /** The executable that runs it: Electron itself in Node mode, or node in tests. */
  execPath: string;
  /** Extra runtime flags before the entry (tests run the TypeScript entry with `--import tsx`). */
  execArgv?: string[];
  /** Where the daemon's JSON log goes. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export async function spawnDaemonProcess(opts: DaemonProcessOptions): Promise<void> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, 'a', 0o600);
  const child = spawn(opts.execPath, [...(opts.execArgv ?? []), opts.entry], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1' },
    windowsHide: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.unref();
}
