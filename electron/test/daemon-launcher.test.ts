// Attach-or-start against the REAL agent daemon (agent-core's startDaemon in its own process,
// reached through the real ControlClient): the app starts one daemon, a second launch attaches
// to it, and never is a second runtime started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  attachOrStartDaemon,
  connectControl,
  DaemonUnavailableError,
} from '../src/main/daemon-launcher.js';
import { appDaemonArgs, DAEMON_ARG, spawnDaemonProcess } from '../src/main/daemon-process.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { waitFor } from './support/wait-for.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const entry = fileURLToPath(new URL('../src/daemon-entry.ts', import.meta.url));

test('attaches to a running daemon without spawning', async () => {
  const fake = new FakeDaemonControl();
  let spawned = 0;
  const r = await attachOrStartDaemon({
    connect: async () => fake,
    spawn: async () => void spawned++,
  });
  assert.equal(r.startedByApp, false);
  assert.equal(spawned, 0);
});

test('a daemon that never answers gives an actionable error', async () => {
  await assert.rejects(
    attachOrStartDaemon({
      connect: async () => undefined,
      spawn: async () => undefined,
      startTimeoutMs: 50,
      pollMs: 5,
    }),
    (err: unknown) =>
      err instanceof DaemonUnavailableError && /did not answer/.test(err.message) && err.retryable,
  );
  await assert.rejects(
    attachOrStartDaemon({
      connect: async () => undefined,
      spawn: async () => Promise.reject(new Error('ENOENT')),
    }),
    /Could not start the Retaia agent daemon: ENOENT.*retaia-agent daemon start/,
  );
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('starts the real daemon once, then attaches to it; never a second runtime', async () => {
  const dir = makeTempDir('retaia-desktop-daemon-');
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ max_parallel_jobs: 1 }));
  const socket = join(dir, 'agent.sock');
  const env = {
    RETAIA_AGENT_DATA_DIR: dir,
    RETAIA_AGENT_CONFIG: configPath,
    RETAIA_AGENT_SOCKET: socket,
  };
  let spawns = 0;
  let secondPid: number | undefined;
  const deps = {
    connect: () => connectControl(socket, 1_000),
    spawn: () => {
      spawns++;
      return spawnDaemonProcess({
        execPath: process.execPath,
        args: ['--import', 'tsx', entry],
        logFile: join(dir, 'daemon.log'),
        env,
      });
    },
    startTimeoutMs: 30_000,
  };
  const first = await attachOrStartDaemon(deps);
  try {
    assert.equal(first.startedByApp, true);
    const status = await first.control.status();
    assert.ok(status.pid !== process.pid, 'the daemon runs in its own process, not in the app');
    const second = await attachOrStartDaemon(deps);
    assert.equal(second.startedByApp, false);
    assert.equal(spawns, 1);
    assert.equal((await second.control.status()).pid, status.pid, 'the same runtime');

    // Even a forced second start leaves the first runtime alone (the daemon's own lock): it gives
    // up and exits. Waiting for that exit matters: a second process still starting when the first
    // stops would take the lock and outlive the test.
    secondPid = await spawnDaemonProcess({
      execPath: process.execPath,
      args: ['--import', 'tsx', entry],
      logFile: join(dir, 'second.log'),
      env,
    });
    await waitFor('the second start gave up', async () => !isAlive(secondPid!), 120_000);
    assert.equal((await first.control.status()).pid, status.pid);
  } finally {
    if (secondPid && isAlive(secondPid)) process.kill(secondPid, 'SIGKILL');
    await first.control.shutdown();
    await waitFor(
      'daemon gone',
      async () => (await connectControl(socket, 500)) === undefined,
      15_000,
    );
  }
  const log = await readFile(join(dir, 'daemon.log'), 'utf8');
  assert.match(log, /daemon started/);
});

test('the daemon is started as the app executable in daemon mode, never as ELECTRON_RUN_AS_NODE', async () => {
  assert.deepEqual(appDaemonArgs(true, '/opt/app.asar', 'darwin'), [DAEMON_ARG]);
  assert.deepEqual(appDaemonArgs(false, '/src/electron', 'linux'), [
    '/src/electron',
    DAEMON_ARG,
    '--ozone-platform=headless',
  ]);
  // A real child: even an inherited ELECTRON_RUN_AS_NODE is not passed on.
  const dir = makeTempDir('daemon-env-');
  const seen = join(dir, 'seen.txt');
  await spawnDaemonProcess({
    execPath: process.execPath,
    args: [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(seen)}, String(process.env.ELECTRON_RUN_AS_NODE))`,
    ],
    logFile: join(dir, 'daemon.log'),
    env: { ELECTRON_RUN_AS_NODE: '1' },
  });
  await waitFor('child wrote its env', async () => existsSync(seen), 10_000);
  assert.equal(await readFile(seen, 'utf8'), 'undefined');
});
