// Camera RAW previews are oriented by the RAW's own metadata when the embedded preview JPEG
// carries no orientation (most cameras store the preview as shot and record the rotation only
// in the RAW's IFD0), and never rotated twice when the preview is tagged itself.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ExtractFactsProcessor } from '../facts/extract-facts.js';
import { testContext } from '../testing/conformance.js';
import { rawLikeFile } from '../testing/raw-fixtures.js';
import { imageWorkers } from '../tools/image-worker-pool.js';
import { GeneratePreviewProcessor } from './generate-preview.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-raw-preview-test-'));
after(async () => {
  await imageWorkers().close();
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

const W = 600;
const H = 400;
const QUADRANTS = [
  [220, 40, 40],
  [40, 220, 40],
  [40, 40, 220],
  [230, 230, 40],
] as const;

/** A W×H JPEG with four coloured quadrants (TL red, TR green, BL blue, BR yellow). */
async function quadrantJpeg(orientation?: number): Promise<Buffer> {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const q = QUADRANTS[(y < H / 2 ? 0 : 2) + (x < W / 2 ? 0 : 1)]!;
      data.set(q, (y * W + x) * 3);
    }
  }
  const img = sharp(data, { raw: { width: W, height: H, channels: 3 } });
  return (orientation ? img.withMetadata({ orientation }) : img).jpeg({ quality: 90 }).toBuffer();
}

/** Colours at the centres of the four quadrants of an image. */
async function quadrantColours(img: sharp.Sharp): Promise<number[][]> {
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return [
    [0.25, 0.25],
    [0.75, 0.25],
    [0.25, 0.75],
    [0.75, 0.75],
  ].map(([fx, fy]) => {
    const p =
      (Math.floor(fy! * info.height) * info.width + Math.floor(fx! * info.width)) * info.channels;
    return [data[p]!, data[p + 1]!, data[p + 2]!];
  });
}

function assertSameColours(actual: number[][], expected: number[][], what: string) {
  actual.forEach((c, i) =>
    c.forEach((v, k) =>
      assert.ok(
        Math.abs(v - expected[i]![k]!) < 40,
        `${what}: quadrant ${i} ${c} vs ${expected[i]}`,
      ),
    ),
  );
}

async function rawPreview(file: Buffer) {
  const path = join(root, `IMG_${n++}.CR2`);
  writeFileSync(path, file);
  const workDir = join(root, `job-${n++}`);
  mkdirSync(workDir);
  const out = await new GeneratePreviewProcessor().run(
    testContext(path, workDir, { mediaType: 'PHOTO' }),
  );
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') throw new Error('unreachable');
  return { path, image: sharp(out.files[0]!.path) };
}

for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`RAW orientation ${orientation} from IFD0 applied to an untagged embedded preview`, async () => {
    const raw = rawLikeFile({
      previewJpeg: await quadrantJpeg(),
      previewWidth: W,
      previewHeight: H,
      orientation,
    });
    const { image } = await rawPreview(raw);
    // Reference: the same JPEG tagged with that orientation, turned upright by libvips itself.
    const reference = sharp(await quadrantJpeg(orientation)).autoOrient();
    const meta = await image.metadata();
    const [w, h] = orientation >= 5 ? [H, W] : [W, H];
    assert.deepEqual([meta.width, meta.height], [w, h]);
    assertSameColours(
      await quadrantColours(image),
      await quadrantColours(reference),
      `orientation ${orientation}`,
    );
  });
}

test('a preview that carries its own orientation is not rotated a second time', async () => {
  const raw = rawLikeFile({
    previewJpeg: await quadrantJpeg(6),
    previewWidth: W,
    previewHeight: H,
    orientation: 6,
  });
  const { image } = await rawPreview(raw);
  const meta = await image.metadata();
  assert.deepEqual([meta.width, meta.height], [H, W]);
  assertSameColours(
    await quadrantColours(image),
    await quadrantColours(sharp(await quadrantJpeg(6)).autoOrient()),
    'tagged preview',
  );
});

test('RAW facts: camera and orientation from the RAW metadata', async () => {
  const raw = rawLikeFile({
    previewJpeg: await quadrantJpeg(),
    previewWidth: W,
    previewHeight: H,
    orientation: 8,
    make: 'NIKON CORPORATION',
    model: 'NIKON Z 6',
  });
  const path = join(root, 'DSC_0001.NEF');
  writeFileSync(path, raw);
  const workDir = join(root, 'facts');
  mkdirSync(workDir);
  const out = await new ExtractFactsProcessor().run(
    testContext(path, workDir, { mediaType: 'PHOTO' }),
  );
  assert.equal(out.type, 'facts');
  if (out.type !== 'facts') throw new Error('unreachable');
  assert.equal(out.factsPatch.orientation, 8);
  assert.equal(out.factsPatch.camera_make, 'NIKON CORPORATION');
  assert.equal(out.factsPatch.camera_model, 'NIKON Z 6');
  assert.deepEqual([out.factsPatch.width, out.factsPatch.height], [W, H]);
});
