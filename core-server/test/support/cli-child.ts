// Runs the real `core-server` CLI (core-server/bin/core-server.js) as a child process, in a
// directory of the test's choosing and without the caller's RETAIA_CORE_* environment.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/core-server.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('RETAIA_CORE_')),
  );
  return { ...env, ...extra };
}

function start(args: string[], cwd: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a command to completion (killed after `timeoutMs`, which fails the result). */
export function runCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  const child = start(args, opts.cwd, opts.env ?? {});
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `serve`, waits for "listening on", then stops it with SIGTERM. Resolves with what it
 * printed; rejects when it exits before listening (with its output) or does not start in time.
 */
export function serveOnce(
  args: string[],
  opts: { cwd: string; timeoutMs?: number },
): Promise<CliResult> {
  const child = start(['serve', '--port', '0', ...args], opts.cwd, {});
  let stdout = '';
  let stderr = '';
  let listening = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in time:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!listening && /listening on/.test(stdout)) {
        listening = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => {
      clearTimeout(timer);
      if (listening) resolve({ code, stdout, stderr });
      else reject(new Error(`serve exited (${code}) before listening:\n${stdout}\n${stderr}`));
    });
  });
}
