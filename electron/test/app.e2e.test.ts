// Launches the real packaged-layout app (electron/dist) with Playwright's Electron driver: the
// window opens with the typed bridge and no Node, the UI talks to a daemon the app started, and
// quitting stops that daemon. Skips, saying why, where the Electron binary or a display is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron } from 'playwright-core';
import { connectControl } from '../src/main/daemon-launcher.js';

const electronDir = fileURLToPath(new URL('..', import.meta.url));

function electronBinary(): { path?: string; skip?: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path === 'string' && existsSync(path)) return { path };
    return {
      skip: 'the electron package has no binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1)',
    };
  } catch (err) {
    return {
      skip: `the Electron binary is not installed here (${(err as Error).message.split('\n')[0]}); it is downloaded by \`npm install\` without ELECTRON_SKIP_BINARY_DOWNLOAD`,
    };
  }
}

const binary = electronBinary();
const skip =
  binary.skip ??
  (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
    ? 'no display: run under xvfb-run to launch Electron on Linux'
    : undefined);

test(
  'the desktop app starts, shows the control center through the sandboxed bridge and quits cleanly',
  { skip },
  async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: electronDir, stdio: 'inherit' });
    const dir = await mkdtemp(join(tmpdir(), 'retaia-electron-e2e-'));
    const socket = join(dir, 'agent.sock');
    await writeFile(join(dir, 'config.json'), '{}');
    const app = await _electron.launch({
      executablePath: binary.path,
      args: [electronDir, '--no-sandbox'],
      env: {
        ...process.env,
        RETAIA_AGENT_DATA_DIR: dir,
        RETAIA_AGENT_CONFIG: join(dir, 'config.json'),
        RETAIA_AGENT_SOCKET: socket,
      },
    });
    try {
      const page = await app.firstWindow();
      await page.getByTestId('daemon-state').waitFor();
      assert.equal(
        await page.evaluate('typeof window.require'),
        'undefined',
        'no Node in the renderer',
      );
      assert.equal(await page.evaluate('typeof window.retaia.status'), 'function');
      const csp = await page
        .locator('meta[http-equiv="Content-Security-Policy"]')
        .getAttribute('content');
      assert.match(csp ?? '', /script-src 'self'/);
      await page
        .getByTestId('daemon-state')
        .filter({ hasText: /Idle|Working|Paused/ })
        .waitFor({ timeout: 30_000 });
      assert.ok(await connectControl(socket), 'the app started the daemon');
    } finally {
      await app.close();
    }
    const control = await connectControl(socket);
    if (control) await control.shutdown();
  },
);
