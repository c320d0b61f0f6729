// Starts the daemon as a detached background process of its own, so it keeps working (and keeps
// its lock) independently of the window and survives an app crash. The packaged app runs its own
// executable with DAEMON_ARG (main.ts then loads the daemon bundle instead of the UI): the
// RunAsNode fuse is off, so ELECTRON_RUN_AS_NODE is neither needed nor honoured.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Command-line switch that makes the app executable run the daemon instead of the window. */
export const DAEMON_ARG = '--retaia-daemon';

export interface DaemonProcessOptions {
  /** The executable: the app itself, or node in tests. */
  execPath: string;
  /** Its arguments (e.g. [DAEMON_ARG], or ['--import', 'tsx', 'daemon-entry.ts'] in tests). */
  args: string[];
  /** Where the daemon's JSON log goes. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/** The argv that runs the daemon through the app executable (packaged, or `electron <app>`). */
export function appDaemonArgs(
  isPackaged: boolean,
  appPath: string,
  platform: NodeJS.Platform,
): string[] {
  return [
    ...(isPackaged ? [] : [appPath]),
    DAEMON_ARG,
    // A daemon has no window: on Linux it must not need (or die with) the X/Wayland session.
    ...(platform === 'linux' ? ['--ozone-platform=headless'] : []),
  ];
}

/** Starts the daemon detached from the app; resolves with its pid once it runs. */
export async function spawnDaemonProcess(opts: DaemonProcessOptions): Promise<number> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, 'a', 0o600);
  const env = { ...process.env, ...opts.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(opts.execPath, opts.args, {
    detached: true,
    stdio: ['ignore', out, out],
    env,
    windowsHide: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.unref();
  return child.pid!;
}
