// electron-builder.yml is checked against electron-builder's own JSON schema and against the
// promises of the issue (targets, asar-unpacked ffmpeg, icons that exist), since packaging
// itself cannot run here (no Electron binary download).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import sharp from 'sharp';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const config = parse(readFileSync(`${root}electron-builder.yml`, 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('matches the electron-builder configuration schema', () => {
  const schema = require('app-builder-lib/scheme.json') as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(schema);
  assert.ok(validate(config), JSON.stringify(validate.errors, null, 2));
});

test('targets AppImage+deb, dmg and nsis, with ffmpeg unpacked from asar', () => {
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.ok((config.asarUnpack as string[]).some((p) => p.includes('ffmpeg-static')));
  assert.equal(config.appId, 'io.retaia.agent');
  assert.equal(config.extraMetadata.main, 'dist/main.cjs');
  const pkg = JSON.parse(readFileSync(`${root}electron/package.json`, 'utf8')) as { main: string };
  assert.equal(pkg.main, './dist/main.cjs');
});

test('icons exist with the expected sizes, including macOS template tray images', async () => {
  assert.equal((await sharp(`${root}electron/build/icon.png`).metadata()).width, 1024);
  for (const state of ['idle', 'working', 'paused', 'error']) {
    assert.equal(
      (await sharp(`${root}electron/assets/tray/tray-${state}.png`).metadata()).width,
      22,
    );
    assert.equal(
      (await sharp(`${root}electron/assets/tray/tray-${state}@2x.png`).metadata()).width,
      44,
    );
    const template = await sharp(`${root}electron/assets/tray/tray-${state}Template.png`)
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.equal(template.info.channels, 4);
    // Template images must be pure black with alpha so macOS can tint them.
    for (let i = 0; i < template.data.length; i += 4) {
      if (template.data[i + 3]! > 0)
        assert.ok(template.data[i]! < 8 && template.data[i + 1]! < 8 && template.data[i + 2]! < 8);
    }
  }
  assert.ok(existsSync(`${root}electron/assets/icon.png`));
});

test('fuses: no RunAsNode, no NODE_OPTIONS/--inspect, app only from asar, encrypted cookies', () => {
  assert.equal(config.electronFuses.runAsNode, false);
  assert.equal(config.electronFuses.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(config.electronFuses.enableNodeCliInspectArguments, false);
  assert.equal(config.electronFuses.onlyLoadAppFromAsar, true);
  assert.equal(config.electronFuses.enableCookieEncryption, true);
  assert.equal(config.asar, true, 'onlyLoadAppFromAsar needs an asar');
  // With RunAsNode off, the daemon cannot be started as ELECTRON_RUN_AS_NODE: it must be the
  // app executable in daemon mode, and main.ts must honour that switch.
  const spawner = readFileSync(`${root}electron/src/main/daemon-process.ts`, 'utf8');
  assert.doesNotMatch(spawner, /ELECTRON_RUN_AS_NODE: '1'/);
  const main = readFileSync(`${root}electron/src/main/main.ts`, 'utf8');
  assert.match(main, /process\.argv\.includes\(DAEMON_ARG\)/);
});
