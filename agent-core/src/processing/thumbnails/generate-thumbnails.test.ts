import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { X264_FAST } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ProcessingAbortedError, ProcessingError, type DerivedFile } from '../processor.js';
import { fixtures } from '../testing/media-fixtures.js';
import { testContext } from '../testing/conformance.js';
import { runFfmpeg } from '../tools/ffmpeg.js';
import { GenerateThumbnailsProcessor } from './generate-thumbnails.js';
import { representativeMs, storyboardPlan } from './thumbnail-plan.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-thumbs-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const processor = new GenerateThumbnailsProcessor();
let n = 0;

async function thumbs(source: string) {
  const workDir = join(root, `job-${n++}`);
  mkdirSync(workDir);
  const ctx = testContext(source, workDir, { jobType: 'generate_thumbnails', mediaType: 'VIDEO' });
  const out = await processor.run(ctx);
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') throw new Error('unreachable');
  assert.equal(ctx.progress.at(-1), 100);
  return {
    files: out.files,
    metrics: out.metrics as { representative_ms: number; storyboard_ms: number[] },
  };
}

async function assertThumbs(files: DerivedFile[]) {
  assert.equal(files.length, 11, 'representative + 10 storyboard frames');
  for (const f of files) {
    assert.equal(f.kind, 'thumb');
    assert.equal(f.contentType, 'image/webp');
    const m = await sharp(f.path).metadata();
    assert.equal(m.format, 'webp');
    assert.equal(m.width, 480);
    assert.equal(m.space, 'srgb');
  }
}

test('plan: representative time and 10 chronological slots including it', () => {
  assert.equal(representativeMs(10_000), 1000);
  assert.equal(representativeMs(60_000), 6000);
  assert.equal(representativeMs(300_000), 15_000);
  assert.equal(representativeMs(3_600_000), 20_000);
  assert.equal(representativeMs(1000), 900);
  for (const d of [1000, 10_000, 119_000, 300_000, 3_600_000]) {
    const plan = storyboardPlan(d);
    assert.equal(plan.length, 10);
    assert.equal(plan.filter((s) => s.representative).length, 1);
    assert.equal(plan.find((s) => s.representative)!.atMs, representativeMs(d));
    for (let i = 1; i < 10; i++) assert.ok(plan[i]!.atMs > plan[i - 1]!.atMs);
    assert.ok(plan[9]!.atMs < d);
    assert.deepEqual(storyboardPlan(d), plan, 'deterministic');
  }
});

const h264 = sharedMedia('video/sample-h264.mp4');
test(
  '1080p sample: representative first, then 10 chronological storyboard thumbs, deterministic',
  { skip: h264.skipReason },
  async () => {
    const a = await thumbs(h264.path!);
    await assertThumbs(a.files);
    assert.equal(a.metrics.storyboard_ms.length, 10);
    for (let i = 1; i < 10; i++)
      assert.ok(a.metrics.storyboard_ms[i]! > a.metrics.storyboard_ms[i - 1]!);
    assert.ok(a.metrics.storyboard_ms.includes(a.metrics.representative_ms));
    const repIdx = a.metrics.storyboard_ms.indexOf(a.metrics.representative_ms);
    assert.deepEqual(readFileSync(a.files[0]!.path), readFileSync(a.files[repIdx + 1]!.path));
    assert.equal((await sharp(a.files[0]!.path).metadata()).height, 270);
    const b = await thumbs(h264.path!);
    assert.deepEqual(b.metrics.storyboard_ms, a.metrics.storyboard_ms);
    assert.equal(b.metrics.representative_ms, a.metrics.representative_ms);
  },
);

test('black opening: the representative moves to a nearby non-black frame', async () => {
  const src = join(root, 'fade-in.mp4');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=black:s=640x360:r=25:d=2.4',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=640x360:r=25:d=17.6',
    '-filter_complex',
    '[0][1]concat=n=2:v=1[v]',
    '-map',
    '[v]',
    ...X264_FAST,
    src,
  ]);
  const { files, metrics } = await thumbs(src);
  await assertThumbs(files);
  assert.ok(metrics.representative_ms > 2400, `representative at ${metrics.representative_ms}`);
  const stats = await sharp(files[0]!.path).stats();
  const mean = stats.channels.slice(0, 3).reduce((s, c) => s + c.mean, 0) / 3;
  assert.ok(mean > 30, `representative mean ${mean}`);
});

test('rotated phone video thumbs are portrait; 1-second clip still gets 10', async () => {
  const portrait = await thumbs(await fixtures.portraitPhone(root));
  await assertThumbs(portrait.files);
  const m = await sharp(portrait.files[0]!.path).metadata();
  assert.ok(m.height! > m.width!, `${m.width}×${m.height}`);
  const short = await thumbs(await fixtures.oneSecond(root));
  await assertThumbs(short.files);
});

test('audio-only input fails non-retryable', async () => {
  const src = await fixtures.audioOnlyMp4(root);
  await assert.rejects(
    thumbs(src),
    (e: unknown) =>
      e instanceof ProcessingError && !e.retryable && e.code === 'NO_DECODABLE_STREAM',
  );
});

test('abort during grabs rejects and leaves no ffmpeg behind', async () => {
  const src = await fixtures.uhd(root);
  const workDir = join(root, 'abort');
  mkdirSync(workDir);
  const ac = new AbortController();
  const ctx = testContext(src, workDir, { jobType: 'generate_thumbnails', signal: ac.signal });
  setTimeout(() => ac.abort('lease lost'), 250);
  await assert.rejects(processor.run(ctx), ProcessingAbortedError);
  const alive = readdirSync('/proc').filter((d) => {
    try {
      return (
        /^\d+$/.test(d) &&
        readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(src) &&
        !/\) Z /.test(readFileSync(`/proc/${d}/stat`, 'utf8'))
      );
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, []);
});
