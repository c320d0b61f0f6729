// Electron entry point (bundled to dist/main.cjs): binds the real Electron module and the real
// daemon endpoint, then hands over to startDesktopApp. Nothing else lives here.
import { join } from 'node:path';
import { resolveAgentPaths } from '@retaia/agent-core/config/agent-paths.js';
import { connectControl } from './control-client-control.js';
import { spawnDaemonProcess } from './daemon-process.js';
import { startDesktopApp } from './desktop-app.js';
import { loadElectronApi } from './electron-api.js';

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), name: 'retaia-desktop', msg, ...fields })}\n`,
  );

async function main(): Promise<void> {
  const api = loadElectronApi();
  // dist/ holds main.cjs, preload.cjs, daemon.cjs and renderer/; assets/ sits next to it.
  const distDir = __dirname;
  const assetsDir = join(distDir, '..', 'assets');
  const paths = resolveAgentPaths();
  await startDesktopApp(api, {
    distDir,
    assetsDir,
    hidden: process.argv.includes('--hidden'),
    log,
    launcher: {
      connect: () => connectControl(paths.controlSocketPath),
      spawn: () =>
        spawnDaemonProcess({
          entry: join(distDir, 'daemon.cjs'),
          execPath: process.execPath,
          logFile: join(paths.dataDir, 'daemon.log'),
        }),
    },
  });
}

main().catch((err: unknown) => {
  log('desktop app failed to start', { err: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
