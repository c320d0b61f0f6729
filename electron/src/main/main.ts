// Electron entry point (bundled to dist/main.cjs): binds the real Electron module and the real
// daemon endpoint, then hands over to startDesktopApp. Nothing else lives here.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { resolveAgentPaths } from '@retaia/agent-core/config/agent-paths.js';
import { connectControl } from './daemon-launcher.js';
import { WHISPER_HOST_ARG } from '@retaia/agent-core/processing/transcription/whisper-host-protocol.js';
import { appDaemonArgs, DAEMON_ARG, spawnDaemonProcess } from './daemon-process.js';
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
          execPath: process.execPath,
          args: appDaemonArgs(api.app.isPackaged, api.app.getAppPath(), process.platform),
          logFile: join(paths.dataDir, 'daemon.log'),
        }),
    },
  });
}

if (process.argv.includes(DAEMON_ARG)) {
  // The daemon mode of the app executable: no window, no tray, just the daemon bundle.
  // A runtime require of the separate bundle (not bundled into main.cjs).
  createRequire(__filename)(join(__dirname, 'daemon.cjs'));
} else if (process.argv.includes(WHISPER_HOST_ARG)) {
  // The daemon's transcription engine, in a process of its own that an abort can kill.
  const host = createRequire(__filename)(join(__dirname, 'whisper-host.cjs')) as {
    serveWhisperHost(): void;
  };
  host.serveWhisperHost();
} else {
  main().catch((err: unknown) => {
    log('desktop app failed to start', { err: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  });
}
