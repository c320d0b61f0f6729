// Shared set-up for daemon tests: a temp data dir + config + a storage mount with a valid
// `.retaia` marker, and a log capture to check what the daemon writes.
import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { waitFor as pollUntil } from '@retaia/protocol/testing/wait-for.js';
import type { DaemonEvent } from '../../src/runtime/control-protocol.js';
import type { RunningDaemon } from '../../src/runtime/daemon.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

export interface DaemonFixture {
  root: string;
  dataDir: string;
  configPath: string;
  mount: string;
  logLines: string[];
  logDestination: { write(s: string): boolean };
  addMedia(name: string, from?: string): Promise<string>;
}

export async function makeDaemonFixture(
  coreUrl: string,
  storageId = 'nas-main',
  extraConfig: Record<string, unknown> = {},
): Promise<DaemonFixture> {
  const root = makeTempDir('rad-');
  const dataDir = join(root, 'data');
  const mount = join(root, 'mnt');
  await mkdir(join(mount, 'INBOX'), { recursive: true });
  await writeFile(
    join(mount, '.retaia'),
    JSON.stringify({
      version: 2,
      storage_id: storageId,
      paths: { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' },
    }),
  );
  const configPath = join(root, 'config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      core_url: coreUrl,
      storage_mounts: { [storageId]: mount },
      max_parallel_jobs: 2,
      log_level: 'debug',
      ...extraConfig,
    }),
  );
  const logLines: string[] = [];
  return {
    root,
    dataDir,
    configPath,
    mount,
    logLines,
    logDestination: {
      write(s: string) {
        logLines.push(...s.split('\n').filter(Boolean));
        return true;
      },
    },
    async addMedia(name: string, from?: string) {
      const rel = `INBOX/${name}`;
      if (from) await copyFile(from, join(mount, rel));
      else await writeFile(join(mount, rel), `media ${name}`);
      return rel;
    },
  };
}

/** Resolves with the first event matching `pred` (rejects after `timeoutMs`). */
export function waitForEvent(
  daemon: RunningDaemon,
  pred: (e: DaemonEvent) => boolean,
  timeoutMs = 15_000,
): Promise<DaemonEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for a daemon event after ${timeoutMs} ms`));
    }, timeoutMs);
    const off = daemon.events.subscribe((e) => {
      if (pred(e)) {
        clearTimeout(timer);
        off();
        resolve(e);
      }
    });
  });
}

export function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  return pollUntil(fn, { timeoutMs, what });
}

export const sourceName = basename;
