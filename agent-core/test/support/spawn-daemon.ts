import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./daemon-child.ts', import.meta.url));

export async function spawnDaemon(
  options: Record<string, unknown>,
): Promise<{ child: ChildProcess; endpoint: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon child did not start:\n${out}`)),
      120_000, // tsx compiles the daemon on start: slow on a loaded machine
    );
    const onData = () => {
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon child exited (${code}):\n${out}`));
    });
  });
  return { child, endpoint, output: () => out };
}

/**
 * Sends `signal` and waits for the child to exit; a child that has already exited resolves at
 * once (waiting for an 'exit' that already happened would hang the test). One that ignores the
 * signal for `timeoutMs` is killed and the wait fails with its output.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  output: () => string = () => '',
  timeoutMs = 30_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>(
    (resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)),
  );
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(
      `the daemon child did not exit within ${timeoutMs} ms of ${signal}:\n${output()}`,
    );
  }
}
