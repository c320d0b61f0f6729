// The desktop bundle's image worker: build.mjs emits dist/image-worker.cjs next to daemon.cjs, and
// the daemon's image pool (bundled in daemon.cjs) finds it there — or in app.asar.unpacked when
// the app is packaged — and decodes a real HEIC with it, with no node_modules around (libheif's
// WASM is inlined in the worker file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { heifEnc, heifEncSkip } from '@retaia/agent-core/processing/testing/heif-fixtures.js';
import { ImageWorkerPool } from '@retaia/agent-core/processing/tools/image-worker-pool.js';
import type { HeifDecodeResult } from '@retaia/agent-core/processing/tools/image-worker-protocol.js';
import { buildRendererOnce } from './support/renderer-build.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

const electronDir = fileURLToPath(new URL('..', import.meta.url));

test(
  'dist/image-worker.cjs is built, self-contained, and found next to daemon.cjs and in app.asar.unpacked',
  { skip: heifEncSkip },
  async () => {
    const root = makeTempDir('retaia-image-worker-bundle-');
    const dist = join(root, 'app', 'dist');
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      cwd: electronDir,
      env: {
        ...process.env,
        RETAIA_RENDERER_DIST: await buildRendererOnce(),
        RETAIA_ELECTRON_OUT: dist,
      },
      stdio: 'pipe',
    });
    assert.ok(existsSync(join(dist, 'image-worker.cjs')), 'build.mjs emits image-worker.cjs');

    const png = join(root, 'photo.png');
    await sharp({ create: { width: 300, height: 200, channels: 3, background: '#37a' } })
      .png()
      .toFile(png);
    const heic = heifEnc(join(root, 'IMG_0001.HEIC'), [png]);

    // As packaged: daemon.cjs inside app.asar, the worker unpacked beside the archive.
    const unpacked = join(root, 'packaged', 'app.asar.unpacked', 'dist');
    mkdirSync(unpacked, { recursive: true });
    copyFileSync(join(dist, 'image-worker.cjs'), join(unpacked, 'image-worker.cjs'));

    for (const daemonFile of [
      join(dist, 'daemon.cjs'),
      join(root, 'packaged', 'app.asar', 'dist', 'daemon.cjs'),
    ]) {
      const pool = new ImageWorkerPool({ locateFrom: pathToFileURL(daemonFile).href });
      try {
        assert.equal(pool.usesWorkers, true, `worker file found for ${daemonFile}`);
        const r = await pool.run<HeifDecodeResult>({
          op: 'heif-decode',
          path: heic,
          pixels: false,
        });
        assert.deepEqual([r.width, r.height, r.imageCount], [300, 200, 1]);
      } finally {
        await pool.close();
      }
    }
  },
);
