// Smoke test of the shipped bundle: dist/main.cjs (esbuild output) runs with a stub `electron`
// module next to it, attaches to a REAL daemon, builds the tray and the locked-down window, and
// registers every bridge channel. Catches bundling mistakes the source-level tests cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '@retaia/agent-core/runtime/daemon.js';
import { BRIDGE_METHODS, invokeChannel } from '../src/shared/bridge-channels.js';
import { buildRendererOnce } from './support/renderer-build.js';
import { waitFor } from './support/wait-for.js';

const electronDir = fileURLToPath(new URL('..', import.meta.url));

test('the bundled main process starts, attaches to the daemon and wires tray, window and IPC', async () => {
  const root = await mkdtemp(join(tmpdir(), 'retaia-main-bundle-'));
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
