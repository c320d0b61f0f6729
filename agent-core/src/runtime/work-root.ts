// Where jobs write their outputs before upload. Each job gets a `retaia-job-*` folder (and a
// shared review pass a `retaia-pass-*` one beside it) that it removes when it ends; a daemon that
// was killed (kill -9, power loss, out of memory) cannot, and a preview left behind can weigh
// gigabytes. So the daemon keeps its folders under its own data dir and, once it holds the
// daemon lock (no other daemon of this data dir can be using them), removes what a previous
// process left. Only names this agent creates are touched, so a work root shared with other
// programs (a user-chosen scratch disk) is safe.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentLogger } from './agent-logger.js';

const OWN_PREFIXES = ['retaia-job-', 'retaia-pass-'];

export async function prepareWorkRoot(dir: string, logger?: AgentLogger): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stale = (await readdir(dir)).filter((name) => OWN_PREFIXES.some((p) => name.startsWith(p)));
  for (const name of stale) await rm(join(dir, name), { recursive: true, force: true });
  if (stale.length)
    logger?.info(
      { work_root: dir, removed: stale.length },
      'removed job folders left by a previous run',
    );
  return stale;
}
