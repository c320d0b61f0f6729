// One daemon per user: an exclusive lock file holding the owner's pid. A lock left by a dead
// process (kill -9, power loss) is taken over; a live owner is reported.
import { open, readFile, unlink } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export class DaemonAlreadyRunningError extends Error {
  readonly retryable = false;
  constructor(
    readonly pid: number,
    readonly lockPath: string,
  ) {
    super(
      `another retaia-agent daemon (pid ${pid}) is already running for this user (lock ${lockPath}): use "retaia-agent daemon status" or stop it first`,
    );
    this.name = 'DaemonAlreadyRunningError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readLockOwner(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(lockPath, 'utf8')).trim(), 10);
    return Number.isFinite(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface DaemonLock {
  path: string;
  release(): Promise<void>;
}

export async function acquireDaemonLock(lockPath: string): Promise<DaemonLock> {
  await mkdir(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return {
        path: lockPath,
        async release() {
          if (released) return;
          released = true;
          await unlink(lockPath).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readLockOwner(lockPath);
      if (owner !== undefined && owner !== process.pid)
        throw new DaemonAlreadyRunningError(owner, lockPath);
      if (owner === process.pid) throw new DaemonAlreadyRunningError(owner, lockPath);
      // Stale lock from a dead process: remove and retry the exclusive create.
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new Error(`could not acquire ${lockPath}: remove it if no daemon is running`);
}
