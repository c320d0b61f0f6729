// Smoke test of the shipped bundle: dist/main.cjs (esbuild output) runs with a stub `electron`
// module next to it, attaches to a REAL daemon, builds the tray and the locked-down window, and
// registers every bridge channel. Catches bundling mistakes the source-level tests cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '@retaia/agent-core/runtime/control-client.js';
import { startDaemon } from '@retaia/agent-core/runtime/daemon.js';
import { CAPABILITIES } from '@retaia/protocol';
import { BRIDGE_METHODS, invokeChannel } from '../src/shared/bridge-channels.js';
import { buildRendererOnce } from './support/renderer-build.js';
import { waitFor } from './support/wait-for.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const electronDir = fileURLToPath(new URL('..', import.meta.url));
const repoNodeModules = fileURLToPath(new URL('../../node_modules', import.meta.url));

/** Bundles the app into `<root>/app/dist` (outside the repo, so nothing resolves by accident). */
async function buildApp(root: string): Promise<string> {
  const appDir = join(root, 'app');
  execFileSync(process.execPath, ['scripts/build.mjs'], {
    cwd: electronDir,
    env: {
      ...process.env,
      RETAIA_RENDERER_DIST: await buildRendererOnce(),
      RETAIA_ELECTRON_OUT: join(appDir, 'dist'),
    },
    stdio: 'pipe',
  });
  return appDir;
}

test('the bundled main process starts, attaches to the daemon and wires tray, window and IPC', async () => {
  const root = makeTempDir('retaia-main-bundle-');
  const appDir = await buildApp(root);
  await mkdir(join(appDir, 'node_modules', 'electron'), { recursive: true });
  await copyFile(
    join(electronDir, 'test', 'fixtures', 'electron-stub.cjs'),
    join(appDir, 'node_modules', 'electron', 'index.js'),
  );

  await writeFile(join(root, 'config.json'), '{}');
  const socket = join(root, 'agent.sock');
  const daemon = await startDaemon({
    configPath: join(root, 'config.json'),
    dataDir: join(root, 'data'),
    controlSocketPath: socket,
    detectCapabilities: async () => ({ capabilities: [], problems: [] }),
    logDestination: { write: () => true } as never,
    secretStore: 'file',
  });
  const child = spawn(process.execPath, [join(appDir, 'dist', 'main.cjs')], {
    env: {
      ...process.env,
      RETAIA_AGENT_SOCKET: socket,
      RETAIA_AGENT_DATA_DIR: join(root, 'data'),
      STUB_USER_DATA: join(root, 'user-data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const calls: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let buffer = '';
  child.stdout.on('data', (c: Buffer) => {
    buffer += c.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines)
      if (line.trim()) calls.push(JSON.parse(line) as Record<string, unknown>);
  });
  try {
    const tooltips = () => calls.filter((c) => c.stub === 'setToolTip').map((c) => String(c.text));
    await waitFor(
      'a daemon-backed tooltip',
      () => tooltips().some((t) => !t.includes('unreachable')),
      15_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\ncalls: ${JSON.stringify(calls)}\nstderr: ${stderr}`);
    });
    assert.ok(calls.some((c) => c.stub === 'requestSingleInstanceLock'));
    const win = calls.find((c) => c.stub === 'BrowserWindow') as {
      webPreferences: Record<string, unknown>;
    };
    assert.equal(win.webPreferences.contextIsolation, true);
    assert.equal(win.webPreferences.sandbox, true);
    assert.equal(win.webPreferences.nodeIntegration, false);
    assert.equal(win.webPreferences.preload, join(appDir, 'dist', 'preload.cjs'));
    assert.ok(
      calls.some(
        (c) => c.stub === 'loadFile' && c.path === join(appDir, 'dist', 'renderer', 'index.html'),
      ),
    );
    const channels = calls.filter((c) => c.stub === 'ipcMain.handle').map((c) => c.channel);
    assert.deepEqual(channels.sort(), BRIDGE_METHODS.map(invokeChannel).sort());
    const tray = calls.find((c) => c.stub === 'Tray') as { image: string };
    assert.ok(
      tray.image.endsWith(join('assets', 'tray', 'tray-error.png')),
      'unknown state until the daemon answers',
    );
    assert.ok(
      calls.some((c) => c.stub === 'setContextMenu' && (c.labels as string[]).includes('Quit')),
    );
    assert.match(tooltips().at(-1)!, /^Retaia Agent — /);
    // spawnDaemonProcess would have opened <dataDir>/daemon.log: the app attached instead.
    assert.equal(existsSync(join(root, 'data', 'daemon.log')), false, 'no second daemon started');
  } finally {
    child.kill();
    await daemon.stop();
  }
});

// The bundle keeps native modules (sharp, keyring) external. They must load through require
// (NODE_PATH, asar), not a dynamic import(), whose ESM resolver sees neither: with import() this
// daemon logged "sharp unavailable" and declared no photo/thumbnail/facts capabilities.
test('the bundled daemon.cjs loads the external sharp and declares the photo capabilities', async () => {
  const root = makeTempDir('retaia-daemon-bundle-');
  const appDir = await buildApp(root);
  await writeFile(join(root, 'config.json'), '{}');
  const socket = join(root, 'agent.sock');
  const child = spawn(process.execPath, [join(appDir, 'dist', 'daemon.cjs')], {
    env: {
      ...process.env,
      // Where an installed app finds its node_modules; the ESM resolver ignores this variable.
      NODE_PATH: repoNodeModules,
      RETAIA_AGENT_CONFIG: join(root, 'config.json'),
      RETAIA_AGENT_DATA_DIR: join(root, 'data'),
      RETAIA_AGENT_SOCKET: socket,
      RETAIA_AGENT_SECRET_STORE: 'file',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const client = new ControlClient(socket, 5_000);
  try {
    let capabilities: string[] = [];
    await waitFor(
      'the bundled daemon to report detected capabilities',
      async () => {
        capabilities = (await client.status().catch(() => undefined))?.capabilities ?? [];
        return capabilities.length > 0;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\noutput: ${output}`);
    });
    assert.ok(
      capabilities.includes(CAPABILITIES.previewPhoto),
      `preview_photo missing: ${capabilities.join(', ')}\n${output}`,
    );
    assert.ok(capabilities.includes(CAPABILITIES.facts), capabilities.join(', '));
    assert.doesNotMatch(output, /sharp unavailable|failed to load/);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
