// What every `retaia-agent` command shares: global options, paths, output, errors, the daemon
// client, and the storage-mount check reported by config, status and diagnostics.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { resolveAgentPaths, type AgentPaths } from '../config/agent-paths.js';
import { validateMount } from '../config/storage-mount.js';
import { ControlClient } from '../runtime/control-client.js';
import type { MountProblem } from '../runtime/control-protocol.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface GlobalOpts {
  config?: string;
  dataDir?: string;
  socket?: string;
  json?: boolean;
}

export function pathsOf(g: GlobalOpts): AgentPaths {
  return resolveAgentPaths({
    ...(g.config ? { configPath: resolve(g.config) } : {}),
    ...(g.dataDir ? { dataDir: resolve(g.dataDir) } : {}),
    ...(g.socket ? { controlSocketPath: g.socket } : {}),
  });
}

export function print(g: GlobalOpts, value: unknown, human: () => string): void {
  process.stdout.write(`${g.json ? JSON.stringify(value, null, 2) : human()}\n`);
}

export async function daemonClient(paths: AgentPaths): Promise<ControlClient | undefined> {
  const client = new ControlClient(paths.controlSocketPath, 5000);
  return (await client.isRunning()) ? client : undefined;
}

export async function readRawConfig(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, 2);
  }
}

/** Mounts that cannot be used as configured (missing folder, no or wrong `.retaia` marker). */
export async function mountProblems(mounts: Record<string, string>): Promise<MountProblem[]> {
  const out: MountProblem[] = [];
  for (const [storageId, path] of Object.entries(mounts)) {
    const v = await validateMount(storageId, path);
    if (!v.ok) out.push({ storageId, path, problem: v.problem ?? 'unusable' });
  }
  return out;
}

export function humanMountProblems(problems: MountProblem[]): string[] {
  return problems.map(
    (p) => `warning: storage_mounts.${p.storageId} (${p.path}) cannot be used: ${p.problem}`,
  );
}
