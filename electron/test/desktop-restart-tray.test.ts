// The desktop shell's answers to "the daemon is unreachable" (Restart from the window and the
// tray) and its tray menu (same language as the window, review page, progress), through the real
// startDesktopApp wiring against the fake Electron seam and an in-memory daemon.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDesktopApp, type DesktopApp } from '../src/main/desktop-app.js';
import { invokeChannel } from '../src/shared/bridge-channels.js';
import { createFakeElectron } from './support/fake-electron.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { waitFor } from './support/wait-for.js';

const running: DesktopApp[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.quit();
});

const labels = (fake: ReturnType<typeof createFakeElectron>) =>
  fake.state.trays[0]!.menu.map((i) => i.label).filter(Boolean);

test('daemon unreachable: Restart from the window, then from the tray, starts and follows a daemon', async () => {
  const fake = createFakeElectron();
  const daemon = new FakeDaemonControl();
  let up = false;
  let spawnWorks = false;
  let spawns = 0;
  const app = await startDesktopApp(fake.api, {
    distDir: '/app/dist',
    assetsDir: '/app/assets',
    powerPollMs: 60_000,
    linkRetryMs: 20,
    launcher: {
      connect: async () => (up ? daemon : undefined),
      spawn: async () => {
        spawns += 1;
        if (!spawnWorks) throw new Error('spawn EACCES');
        up = true;
        daemon.down = false;
      },
      startTimeoutMs: 200,
      pollMs: 5,
    },
  });
  running.push(app);
  assert.equal(app.status(), undefined);
  assert.ok(labels(fake).includes('Restart the daemon'));
  const sentLink = fake.state.windows[0]!.sent.map((s) => s.args[0] as { type: string });
  assert.ok(
    sentLink.some((e) => e.type === 'daemon_link'),
    'the window is told why',
  );

  spawnWorks = true;
  await fake.invoke(invokeChannel('restartDaemon'));
  await waitFor('status after restart', () => app.status() !== undefined);
  assert.equal(spawns, 2);
  assert.ok(!labels(fake).includes('Restart the daemon'));

  // The daemon dies; the tray offers Restart and it brings a fresh one up.
  daemon.down = true;
  daemon.dropStreams();
  up = false;
  await waitFor('unreachable again', () => app.status() === undefined);
  assert.ok(labels(fake).includes('Restart the daemon'));
  fake.state.trays[0]!.click('Restart the daemon');
  await waitFor('status after tray restart', () => app.status() !== undefined);
  assert.equal(spawns, 3);
});

test('tray: French like the window, review page of the configured Core, current job progress', async () => {
  const fake = createFakeElectron();
  const daemon = new FakeDaemonControl();
  daemon.config.core_url = 'https://nas.local:8443/api/v1';
  const app = await startDesktopApp(fake.api, {
    distDir: '/app/dist',
    assetsDir: '/app/assets',
    powerPollMs: 60_000,
    linkRetryMs: 20,
    launcher: { connect: async () => daemon, spawn: async () => undefined },
  });
  running.push(app);
  await waitFor('first status', () => app.status() !== undefined);
  assert.ok(labels(fake).includes('Open review page'));
  await fake.invoke(invokeChannel('setPreferences'), { language: 'fr' });
  assert.ok(labels(fake).includes('Ouvrir la page de revue'), labels(fake).join(' | '));
  fake.state.trays[0]!.click('Ouvrir la page de revue');
  await waitFor('review page opened', () => fake.state.opened.length === 1);
  assert.deepEqual(fake.state.opened, ['https://nas.local:8443/review/']);

  const job = daemon.startJob({
    jobId: 'j-1',
    jobType: 'generate_preview',
    assetUuid: 'a-1',
    sourceName: 'INBOX/interview.mov',
    stage: 'encoding',
  });
  job.progress(64, 'encoding');
  await waitFor('progress line', () => labels(fake).includes('interview.mov — encoding 64 %'));
  assert.ok(labels(fake).includes('État : Au travail (1 tâche)'));
  fake.state.trays[0]!.click('Pause');
  await waitFor('paused', () => daemon.calls.includes('pause:user'));
});
