// The whole main process (startDesktopApp) against a fake Electron and an in-memory daemon:
// single instance, hide-to-tray, tray state and actions, notifications, power policy, IPC.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDesktopApp, type DesktopApp } from '../src/main/desktop-app.js';
import { BRIDGE_METHODS, EVENT_CHANNEL, invokeChannel } from '../src/shared/bridge-channels.js';
import { createFakeElectron } from './support/fake-electron.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { waitFor } from './support/wait-for.js';

const running: DesktopApp[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.quit();
});

async function launch(
  opts: {
    daemon?: FakeDaemonControl;
    lock?: boolean;
    onBattery?: boolean;
    spawnable?: boolean;
    hidden?: boolean;
  } = {},
) {
  const fake = createFakeElectron({
    singleInstanceLock: opts.lock ?? true,
    onBattery: opts.onBattery,
  });
  const daemon = opts.daemon ?? new FakeDaemonControl();
  let spawned = 0;
  let daemonUp = opts.spawnable ? false : true;
  const app = await startDesktopApp(fake.api, {
    distDir: '/app/dist',
    assetsDir: '/app/assets',
    hidden: opts.hidden,
    powerPollMs: 60_000,
    linkRetryMs: 20,
    launcher: {
      connect: async () => (daemonUp ? daemon : undefined),
      spawn: async () => {
        spawned++;
        daemonUp = true;
      },
      pollMs: 5,
    },
  });
  running.push(app);
  const tray = () => fake.state.trays[0]!;
  const win = () => fake.state.windows[0]!;
  if (app.primary) await waitFor('first status', () => app.status() !== undefined);
  return { fake, daemon, app, tray, win, spawned: () => spawned };
}

test('a second instance quits at once; the first one comes forward on a second launch', async () => {
  const second = await launch({ lock: false });
  assert.equal(second.app.primary, false);
  assert.equal(second.fake.state.quitCalled, 1);
  assert.equal(second.fake.state.windows.length, 0);
  assert.equal(second.fake.state.trays.length, 0, 'no second tray');

  const first = await launch({ hidden: true });
  assert.equal(first.fake.state.windows.length, 0, 'login launch starts hidden');
  first.fake.emitApp('second-instance');
  assert.equal(first.win().isVisible(), true);
  first.fake.emitApp('second-instance');
  assert.equal(first.fake.state.windows.length, 1, 'the same window is reused');
});

test('the window is locked down and closing it hides to the tray', async () => {
  const { win, fake } = await launch();
  const prefs = win().options.webPreferences!;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.preload, '/app/dist/preload.cjs');
  assert.deepEqual(win().loaded, { path: '/app/dist/renderer/index.html', hash: 'control' });
  assert.deepEqual(win().openHandler?.({ url: 'https://evil.example' }), { action: 'deny' });
  let prevented = false;
  win().navigationEvents.emit(
    'will-navigate',
    { preventDefault: () => (prevented = true) },
    'https://evil.example',
  );
  assert.equal(prevented, true);

  assert.equal(win().userClose(), false, 'close is turned into hide');
  assert.equal(win().isVisible(), false);
  assert.equal(fake.state.quitCalled, 0);
  fake.emitApp('before-quit');
  assert.equal(win().userClose(), true, 'when quitting, close really closes');
});

test('tray icon and menu follow the daemon; tray actions reach the daemon', async () => {
  const { tray, daemon, app, win } = await launch();
  await waitFor('idle icon', () => tray().image === '/app/assets/tray/tray-idle.png');
  const job = daemon.startJob({
    jobId: 'j1',
    jobType: 'generate_preview',
    assetUuid: 'a',
    sourceName: 'clip.mov',
    stage: 'encoding',
  });
  await waitFor('working icon', () => tray().image === '/app/assets/tray/tray-working.png');
  assert.equal(tray().tooltip, 'Retaia Agent — working on 1 job');
  assert.ok(tray().menu.some((i) => i.label === 'Status: Working (1 job)'));
  job.finish();
  await waitFor('idle again', () => tray().image === '/app/assets/tray/tray-idle.png');

  tray().click('Pause');
  await waitFor('paused icon', () => tray().image === '/app/assets/tray/tray-paused.png');
  assert.ok(daemon.calls.includes('pause:user'));
  tray().click('Resume');
  await waitFor('resumed', () => daemon.calls.includes('resume:user'));
  tray().click('Refresh now');
  await waitFor('refresh', () => daemon.calls.includes('refresh'));

  win().userClose();
  tray().click('Preferences…');
  assert.equal(win().isVisible(), true);
  assert.deepEqual(win().sent.at(-1), {
    channel: EVENT_CHANNEL,
    args: [{ type: 'navigate', view: 'preferences' }],
  });

  tray().click('Quit');
  await waitFor('quit', () => tray().destroyed);
  assert.ok(!daemon.calls.includes('shutdown'), 'an attached daemon is left running');
  running.splice(running.indexOf(app), 1);
});

test('a daemon the app started is stopped on quit', async () => {
  const { app, daemon, spawned } = await launch({ spawnable: true });
  assert.equal(spawned(), 1);
  await app.quit();
  running.splice(running.indexOf(app), 1);
  assert.ok(daemon.calls.includes('shutdown'));
});

test('notifications: daemon news de-duplicated, daemon loss and return announced once', async () => {
  const { fake, daemon } = await launch();
  const note = {
    type: 'notification',
    kind: 'job_failed',
    title: 'Job failed',
    body: 'clip.mov: unreadable',
  } as const;
  daemon.emit(note);
  daemon.emit(note);
  await waitFor('one notification', () => fake.state.notifications.length === 1);
  daemon.down = true;
  daemon.dropStreams();
  await waitFor('disconnect notice', () =>
    fake.state.notifications.some((n) => /Lost contact/.test(n.body)),
  );
  await new Promise((r) => setTimeout(r, 100)); // several failed retries happen here
  assert.equal(fake.state.notifications.filter((n) => /Lost contact/.test(n.body)).length, 1);
  assert.equal(fake.state.trays[0]!.image, '/app/assets/tray/tray-error.png');
  daemon.down = false;
  await waitFor('reconnect notice', () =>
    fake.state.notifications.some((n) => /Back in contact/.test(n.body)),
  );
  assert.deepEqual(
    fake.state.notifications.map((n) => n.title),
    ['Job failed', 'Retaia Agent', 'Retaia Agent'],
  );
});

test('power: pauses on battery with its own reason, resumes on AC, blocks sleep only on AC while working', async () => {
  const daemon = new FakeDaemonControl();
  daemon.config = { ...daemon.config, power_policy: { pause_on_battery: true } };
  const { fake, tray } = await launch({ daemon });
  const job = daemon.startJob({
    jobId: 'j',
    jobType: 'extract_facts',
    assetUuid: 'a',
    sourceName: 'a.wav',
    stage: 'probe',
  });
  await waitFor('blocker on AC while working', () => fake.state.blockers.size === 1);
  fake.setBattery(true);
  await waitFor('battery pause', () => daemon.calls.includes('pause:battery'));
  await waitFor(
    'tooltip reason',
    () => tray().tooltip === 'Retaia Agent — paused while on battery',
  );
  assert.equal(fake.state.blockers.size, 0, 'never keeps a laptop awake on battery');
  fake.setBattery(false);
  await waitFor('resume on AC', () => daemon.calls.includes('resume:battery'));
  assert.ok(!daemon.calls.includes('resume:user'), 'a power resume never lifts a user pause');
  job.finish();
  await waitFor('blocker released when idle', () => fake.state.blockers.size === 0);
});

test('power: battery is ignored when the config does not ask for it', async () => {
  const { fake, daemon, app } = await launch({ onBattery: true });
  await app.power!.evaluate();
  assert.ok(!daemon.calls.some((c) => c.startsWith('pause:')));
  assert.equal(fake.state.blockers.size, 0);
});

test('IPC: every bridge method is registered and answers through the daemon', async () => {
  const { fake } = await launch();
  for (const m of BRIDGE_METHODS) assert.ok(fake.state.handlers.has(invokeChannel(m)), m);
  const status = (await fake.invoke(invokeChannel('status'))) as { agentName: string };
  assert.equal(status.agentName, 'studio-laptop');
  fake.state.dialogResult = { canceled: false, filePaths: ['/mnt/nas'] };
  assert.deepEqual(await fake.invoke(invokeChannel('pickFolder')), {
    canceled: false,
    path: '/mnt/nas',
  });
  await fake.invoke(invokeChannel('copyToClipboard'), 'diag');
  assert.equal(fake.state.clipboard, 'diag');
  await assert.rejects(
    Promise.resolve(fake.invoke(invokeChannel('setPreferences'), { idleMinutes: 0 })),
    /idleMinutes/,
  );
});

test('start at login is opt-in and mirrors the preference', async () => {
  const { fake } = await launch();
  assert.equal(fake.state.loginItemCalls, 0, 'nothing registered by default');
  await fake.invoke(invokeChannel('setPreferences'), { openAtLogin: true });
  assert.deepEqual(fake.state.loginItem, { openAtLogin: true, openAsHidden: true });
  await fake.invoke(invokeChannel('setPreferences'), { openAtLogin: false });
  assert.equal(fake.state.loginItem.openAtLogin, false);
});
