// HEIC/HEIF end to end through the real processors: extract_facts must succeed (it failed
// IMAGE_UNREADABLE on every HEIC when the pixel check went through sharp) and generate_preview
// must render the same image, for the shapes iPhones and cameras write: single image with EXIF,
// alpha, a burst/collection, a depth map, a rotation. Real files made by heif-enc; real iPhone
// files too when RETAIA_REAL_HEIC_DIR points at a folder of them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ProcessingError } from '../processor.js';
import { GeneratePreviewProcessor } from '../preview/generate-preview.js';
import { testContext } from '../testing/conformance.js';
import {
  heifEnc,
  heifEncSkip,
  makeSecondImageDepthMap,
  rotatePrimary,
} from '../testing/heif-fixtures.js';
import { imageWorkers } from '../tools/image-worker-pool.js';
import { ExtractFactsProcessor } from './extract-facts.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-heif-test-'));
after(async () => {
  await imageWorkers().close();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

async function facts(path: string) {
  const workDir = join(root, `facts-${n++}`);
  mkdirSync(workDir);
  const out = await new ExtractFactsProcessor().run(
    testContext(path, workDir, { mediaType: 'PHOTO' }),
  );
  assert.equal(out.type, 'facts');
  if (out.type !== 'facts') throw new Error('unreachable');
  return { facts: out.factsPatch, warnings: out.warnings ?? [] };
}

async function preview(path: string) {
  const workDir = join(root, `preview-${n++}`);
  mkdirSync(workDir);
  const out = await new GeneratePreviewProcessor().run(
    testContext(path, workDir, { mediaType: 'PHOTO' }),
  );
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') throw new Error('unreachable');
  return sharp(out.files[0]!.path);
}

/** A PNG whose left half is red (half-transparent with `alpha`) and right half blue. */
async function png(
  name: string,
  width: number,
  height: number,
  opts: { alpha?: boolean; grey?: boolean } = {},
) {
  const path = join(root, name);
  const channels = opts.grey ? 1 : opts.alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const left = x < width / 2;
      const px = opts.grey ? [left ? 60 : 200] : left ? [200, 30, 30, 128] : [30, 30, 200, 255];
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = px[c]!;
    }
  }
  await sharp(data, { raw: { width, height, channels } }).png().toFile(path);
  return path;
}

const gpsJpeg = sharedMedia('photo/gps-DSCN0010.jpg');

test(
  'HEIC with EXIF: camera, capture time, GPS; preview decodes',
  { skip: heifEncSkip || gpsJpeg.skipReason },
  async () => {
    const heic = heifEnc(join(root, 'IMG_0001.HEIC'), [gpsJpeg.path!]);
    const { facts: f, warnings } = await facts(heic);
    assert.equal(f.media_format, 'heic');
    assert.equal(f.width, 640);
    assert.equal(f.height, 480);
    assert.equal(f.orientation, 1);
    assert.equal(f.camera_make, 'NIKON');
    assert.equal(f.camera_model, 'COOLPIX P6000');
    assert.equal(f.captured_at, '2008-10-22T16:28:39Z');
    assert.ok(Math.abs(f.gps_latitude! - 43.4674483) < 1e-6, String(f.gps_latitude));
    assert.ok(Math.abs(f.gps_longitude! - 11.8851267) < 1e-6, String(f.gps_longitude));
    assert.deepEqual(warnings, []);
    const meta = await (await preview(heic)).metadata();
    assert.equal(meta.format, 'webp');
    assert.deepEqual([meta.width, meta.height], [640, 480]);
  },
);

test(
  'HEIC with alpha: facts succeed, preview keeps transparency',
  { skip: heifEncSkip },
  async () => {
    const heic = heifEnc(join(root, 'alpha.heic'), [
      await png('alpha.png', 400, 300, { alpha: true }),
    ]);
    const { facts: f } = await facts(heic);
    assert.deepEqual([f.media_format, f.width, f.height], ['heic', 400, 300]);
    const out = await preview(heic);
    const meta = await out.metadata();
    assert.equal(meta.hasAlpha, true);
    const { data, info } = await out.raw().toBuffer({ resolveWithObject: true });
    const alphaAt = (x: number) => data[(150 * info.width + x) * info.channels + 3]!;
    assert.ok(alphaAt(50) > 100 && alphaAt(50) < 160, `half-transparent left: ${alphaAt(50)}`);
    assert.equal(alphaAt(350), 255, 'opaque right');
  },
);

test(
  'burst/collection (3 images in one HEIF): facts and preview of the primary, with a warning',
  { skip: heifEncSkip },
  async () => {
    const heic = heifEnc(join(root, 'burst.heic'), [
      await png('b1.png', 640, 480),
      await png('b2.png', 320, 240),
      await png('b3.png', 160, 120),
    ]);
    const { facts: f, warnings } = await facts(heic);
    assert.deepEqual([f.width, f.height], [640, 480]);
    assert.ok(
      warnings.some((w) => /3 images/.test(w)),
      warnings.join('; '),
    );
    const meta = await (await preview(heic)).metadata();
    assert.deepEqual([meta.width, meta.height], [640, 480]);
  },
);

test(
  'HEIC with a depth map (Portrait mode): facts of the colour image, depth noted',
  { skip: heifEncSkip },
  async () => {
    const heic = heifEnc(join(root, 'portrait.heic'), [
      await png('colour.png', 480, 320),
      await png('depth.png', 240, 160, { grey: true }),
    ]);
    makeSecondImageDepthMap(heic);
    const { facts: f, warnings } = await facts(heic);
    assert.deepEqual([f.width, f.height], [480, 320]);
    assert.ok(
      warnings.some((w) => /depth map/.test(w)),
      warnings.join('; '),
    );
    assert.ok(!warnings.some((w) => /images/.test(w)), 'the depth map is not a second photo');
    const meta = await (await preview(heic)).metadata();
    assert.deepEqual([meta.width, meta.height], [480, 320]);
  },
);

test(
  'portrait HEIC (irot): facts give stored size + orientation 6, preview is upright',
  { skip: heifEncSkip },
  async () => {
    const heic = heifEnc(join(root, 'portrait-irot.heic'), [await png('landscape.png', 400, 200)]);
    rotatePrimary(heic, 3); // 270° counter-clockwise = 90° clockwise, as an iPhone held upright
    const { facts: f } = await facts(heic);
    assert.deepEqual([f.width, f.height, f.orientation], [400, 200, 6]);
    const out = await preview(heic);
    const { data, info } = await out.raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [200, 400]);
    // Rotated clockwise: the red left half of the source is now the top half.
    const red = (y: number) => data[(y * info.width + 100) * info.channels]!;
    assert.ok(red(50) > 150 && red(350) < 80, `top ${red(50)}, bottom ${red(350)}`);
  },
);

test('HEIC named .jpg is recognised by its content', { skip: heifEncSkip }, async () => {
  const heic = heifEnc(join(root, 'real-heic.heic'), [await png('x.png', 200, 100)]);
  const mislabelled = join(root, 'IMG_0002.jpg');
  copyFileSync(heic, mislabelled);
  const { facts: f } = await facts(mislabelled);
  assert.deepEqual([f.media_format, f.width, f.height], ['heic', 200, 100]);
  const meta = await (await preview(mislabelled)).metadata();
  assert.deepEqual([meta.width, meta.height], [200, 100]);
});

test(
  'truncated HEIC fails IMAGE_UNREADABLE, non-retryable, naming the file',
  { skip: heifEncSkip },
  async () => {
    const heic = heifEnc(join(root, 'whole.heic'), [await png('t.png', 640, 480)]);
    const cut = join(root, 'cut.heic');
    const bytes = readFileSync(heic);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    for (const run of [facts, preview]) {
      await assert.rejects(run(cut), (e: unknown) => {
        assert.ok(e instanceof ProcessingError, String(e));
        assert.equal(e.code, 'IMAGE_UNREADABLE', e.message);
        assert.equal(e.retryable, false);
        assert.match(e.message, /HEIC\/HEIF.*cut\.heic/);
        return true;
      });
    }
  },
);

test('a HEIF holding only an image-sequence track is refused in plain words', async () => {
  const box = (type: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const path = join(root, 'sequence.heics');
  writeFileSync(
    path,
    Buffer.concat([
      box('ftyp', Buffer.from('msf1\0\0\0\0msf1hevc', 'latin1')),
      box('moov', Buffer.alloc(0)),
      box('mdat', Buffer.alloc(64, 1)),
    ]),
  );
  await assert.rejects(facts(path), (e: unknown) => {
    assert.ok(e instanceof ProcessingError, String(e));
    assert.equal(e.code, 'UNSUPPORTED_MEDIA');
    assert.equal(e.retryable, false);
    assert.match(e.message, /image sequence without a still image.*sequence\.heics/);
    return true;
  });
});

// Real phone photos are not redistributable from this repository: they come from the team's
// shared sample media (shared/media/photo/*.heic) or from RETAIA_REAL_HEIC_DIR.
const sharedPhotos = sharedMedia('photo').path;
const realDir = [process.env.RETAIA_REAL_HEIC_DIR, sharedPhotos].find(
  (d): d is string => !!d && existsSync(d) && readdirSync(d).some((f) => /\.hei[cf]$/i.test(f)),
);
test(
  'real HEIC files (shared media or RETAIA_REAL_HEIC_DIR): facts and preview succeed, primary size agrees',
  {
    skip: realDir
      ? false
      : 'no real HEIC files: shared/media/photo has no .heic and RETAIA_REAL_HEIC_DIR is not set',
  },
  async () => {
    const files = readdirSync(realDir!).filter((f) => /\.hei[cf]$/i.test(f));
    assert.ok(files.length > 0, `no .heic in ${realDir}`);
    for (const file of files) {
      const { facts: f } = await facts(join(realDir!, file));
      const meta = await (await preview(join(realDir!, file))).metadata();
      const long = Math.max(f.width!, f.height!);
      const scale = Math.min(1, 2048 / long);
      const [w, h] = f.orientation! >= 5 ? [f.height!, f.width!] : [f.width!, f.height!];
      assert.equal(meta.width, Math.round(w * scale), `${file} width`);
      assert.equal(meta.height, Math.round(h * scale), `${file} height`);
    }
  },
);
