// iPhone-style HEIC photos dropped into INBOX go through the real core-server and a real agent
// daemon and become reviewable (they stayed in PROCESSING_REVIEW when extract_facts failed on
// every HEIC). Files made by heif-enc: with EXIF+GPS, a burst/collection, a rotated portrait,
// one with alpha; plus real iPhone files when RETAIA_REAL_HEIC_DIR names a folder of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AssetDetail } from '@retaia/protocol';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import {
  heifEnc,
  heifEncSkip,
  rotatePrimary,
} from '../agent-core/src/processing/testing/heif-fixtures.js';
import { System } from './support/system.js';

const gps = sharedMedia('photo/gps-DSCN0010.jpg');

test(
  'HEIC photos (EXIF+GPS, burst, portrait, alpha) reach review with facts and a WebP preview',
  { skip: heifEncSkip || gps.skipReason },
  async () => {
    const sys = await System.start();
    try {
      const png = async (name: string, w: number, h: number, channels: 3 | 4) => {
        const path = join(sys.root, name);
        await sharp({
          create: {
            width: w,
            height: h,
            channels,
            background: { r: 40, g: 90, b: 160, alpha: 0.6 },
          },
        })
          .png()
          .toFile(path);
        return path;
      };
      const expected = new Map<
        string,
        { width: number; height: number; preview: [number, number] }
      >();
      heifEnc(join(sys.inbox, 'IMG_0001.HEIC'), [gps.path!]);
      expected.set('IMG_0001.HEIC', { width: 640, height: 480, preview: [640, 480] });
      heifEnc(join(sys.inbox, 'IMG_0002.HEIC'), [
        await png('b1.png', 800, 600, 3),
        await png('b2.png', 400, 300, 3),
      ]);
      expected.set('IMG_0002.HEIC', { width: 800, height: 600, preview: [800, 600] });
      const portrait = heifEnc(join(sys.root, 'portrait.heic'), [await png('p.png', 600, 400, 3)]);
      rotatePrimary(portrait, 3);
      await copyFile(portrait, join(sys.inbox, 'IMG_0003.HEIC'));
      expected.set('IMG_0003.HEIC', { width: 600, height: 400, preview: [400, 600] });
      heifEnc(join(sys.inbox, 'IMG_0004.HEIC'), [await png('a.png', 300, 200, 4)]);
      expected.set('IMG_0004.HEIC', { width: 300, height: 200, preview: [300, 200] });
      const realDir = process.env.RETAIA_REAL_HEIC_DIR;
      const real =
        realDir && existsSync(realDir)
          ? (await readdir(realDir)).filter((f) => /\.hei[cf]$/i.test(f))
          : [];
      for (const f of real) await copyFile(join(realDir!, f), join(sys.inbox, `real-${f}`));

      await sys.spawnAgent('heic');
      const assets = await sys.waitSettled(expected.size + real.length, 300_000);
      for (const asset of assets) {
        assert.equal(asset.state, 'DECISION_PENDING', `${asset.name} is reviewable`);
        const detail = await sys.get<AssetDetail>(`/assets/${asset.uuid}`);
        assert.equal(detail.processing.facts_done, true, `${asset.name} facts`);
        const photo = await sys.download(
          detail.derived.preview_photo_url!,
          join(sys.root, `${asset.uuid}.webp`),
        );
        const meta = await sharp(photo).metadata();
        assert.equal(meta.format, 'webp', asset.name);
        const want = expected.get(asset.name!);
        if (want) assert.deepEqual([meta.width, meta.height], want.preview, asset.name);
      }
      const withGps = assets.find((a) => a.name === 'IMG_0001.HEIC')!;
      const detail = await sys.get<AssetDetail>(`/assets/${withGps.uuid}`);
      assert.ok(Math.abs(detail.gps_latitude! - 43.4674483) < 1e-5, String(detail.gps_latitude));
      assert.equal(detail.summary.captured_at, '2008-10-22T16:28:39Z');
    } finally {
      await sys.stop();
    }
  },
);
