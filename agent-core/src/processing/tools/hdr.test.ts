// HDR sources against an SDR reference: the same picture is graded SDR BT.709 and encoded as
// PQ (HDR10) and as HLG, BT.2020 10-bit (SDR white at the 203-nit HDR reference white). The preview and thumbnails of
// each HDR clip must look like the SDR original — mean luminance, contrast, saturation and
// clipping close to it — where a naive decode (what the agent did before) is flat and washed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import { ExtractFactsProcessor } from '../facts/extract-facts.js';
import { GeneratePreviewProcessor } from '../preview/generate-preview.js';
import type { ProcessorContext } from '../processor.js';
import { GenerateThumbnailsProcessor } from '../thumbnails/generate-thumbnails.js';
import { extractVideoFrame, probeMedia, runFfmpeg, type RgbFrame } from './ffmpeg.js';
import { hdrTransfer, toneMapFilters } from './hdr.js';
import { loadSharp } from './image.js';

const tmp = mkdtempSync(join(tmpdir(), 'retaia-hdr-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const SOURCE = 'testsrc2=s=640x360:r=25:d=3';
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '4'];

async function makeClips() {
  const sdr = join(tmp, 'sdr.mp4');
  await runFfmpeg(['-f', 'lavfi', '-i', SOURCE, '-pix_fmt', 'yuv420p', ...X264, sdr]);
  const hdr = async (transfer: string, name: string) => {
    const out = join(tmp, name);
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      SOURCE,
      '-vf',
      `zscale=tin=bt709:min=bt709:pin=bt709:rin=full:t=${transfer}:m=bt2020nc:p=bt2020:r=limited:npl=203,format=yuv420p10le`,
      ...X264,
      '-color_trc',
      transfer,
      '-color_primaries',
      'bt2020',
      '-colorspace',
      'bt2020nc',
      '-color_range',
      'tv',
      out,
    ]);
    return out;
  };
  return { sdr, pq: await hdr('smpte2084', 'pq.mp4'), hlg: await hdr('arib-std-b67', 'hlg.mp4') };
}
const clips = makeClips();

interface Look {
  meanLuma: number;
  contrast: number;
  saturation: number;
  clipped: number;
}

function look(rgb: Buffer): Look {
  const hist = new Array<number>(256).fill(0);
  let sum = 0;
  let sat = 0;
  let clipped = 0;
  const n = rgb.length / 3;
  for (let i = 0; i < rgb.length; i += 3) {
    const [r, g, b] = [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
    const y = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    hist[y]!++;
    sum += y;
    sat += Math.max(r, g, b) - Math.min(r, g, b);
    if (Math.min(r, g, b) >= 250) clipped++;
  }
  const pct = (p: number) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) if ((acc += hist[v]!) >= p * n) return v;
    return 255;
  };
  return {
    meanLuma: sum / n,
    contrast: pct(0.9) - pct(0.1),
    saturation: sat / n,
    clipped: clipped / n,
  };
}

/** Differences a viewer would call "the same picture": luminance, contrast, colour, clipping. */
function closeTo(actual: Look, reference: Look): string | undefined {
  const rel = (a: number, b: number) => Math.abs(a - b) / b;
  if (rel(actual.meanLuma, reference.meanLuma) > 0.1) return 'mean luminance';
  // Highlights roll off (white lands near 88 %, -27 % on p90-p10) and BT.2020→709 with 4:2:0 costs
  // some colour; a naive decode is off by 35-60 % in contrast and more in saturation.
  if (rel(actual.contrast, reference.contrast) > 0.3) return 'contrast';
  if (rel(actual.saturation, reference.saturation) > 0.3) return 'saturation';
  if (actual.clipped > reference.clipped + 0.02) return 'clipping';
  return undefined;
}

function ctx(sourcePath: string, jobType: JobType): ProcessorContext {
  return {
    jobId: 'job-hdr',
    jobType,
    assetUuid: 'asset-hdr',
    mediaType: 'VIDEO',
    sourcePath,
    sidecarPaths: [],
    workDir: mkdtempSync(join(tmp, `${jobType}-`)),
    signal: new AbortController().signal,
    onProgress: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

async function frameAt(path: string, atMs: number, filters: string[] = []): Promise<RgbFrame> {
  const f = await extractVideoFrame(path, { atMs, width: 320, filters });
  assert.ok(f, `a frame of ${path} at ${atMs} ms`);
  return f;
}

for (const kind of ['pq', 'hlg'] as const) {
  test(`${kind.toUpperCase()} source: facts say so; preview and thumbnails match the SDR reference`, async () => {
    const { sdr, [kind]: hdr } = await clips;
    const probe = await probeMedia(hdr);
    const video = probe.streams.find((s) => s.codec_type === 'video');
    assert.equal(hdrTransfer(video), kind);

    const facts = await new ExtractFactsProcessor().run(ctx(hdr, 'extract_facts'));
    assert.ok(facts.type === 'facts');
    assert.equal(facts.factsPatch.color_transfer, kind === 'pq' ? 'smpte2084' : 'arib-std-b67');
    assert.equal(facts.factsPatch.color_primaries, 'bt2020');
    assert.equal(facts.factsPatch.pixel_format, 'yuv420p10le', '10-bit');

    const reference = look((await frameAt(sdr, 1000)).rgb);
    const naive = look((await frameAt(hdr, 1000)).rgb);
    assert.ok(
      closeTo(naive, reference),
      `the naive decode differs visibly: ${JSON.stringify({ naive, reference })}`,
    );

    const preview = await new GeneratePreviewProcessor({ x264Preset: 'ultrafast' }).run(
      ctx(hdr, 'generate_preview'),
    );
    assert.ok(preview.type === 'derived');
    const out = preview.files[0]!.path;
    const outVideo = (await probeMedia(out)).streams.find((s) => s.codec_type === 'video');
    assert.equal(outVideo?.pix_fmt, 'yuv420p');
    assert.equal(outVideo?.color_transfer, 'bt709');
    const previewLook = look((await frameAt(out, 1000)).rgb);
    assert.equal(
      closeTo(previewLook, reference),
      undefined,
      JSON.stringify({ previewLook, reference }),
    );

    const thumbs = await new GenerateThumbnailsProcessor().run(ctx(hdr, 'generate_thumbnails'));
    assert.ok(thumbs.type === 'derived');
    const atMs = thumbs.metrics!.representative_ms as number;
    const sharp = await loadSharp();
    const { data } = await sharp(thumbs.files[0]!.path)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const thumbLook = look(data);
    const thumbReference = look((await frameAt(sdr, atMs)).rgb);
    assert.equal(
      closeTo(thumbLook, thumbReference),
      undefined,
      JSON.stringify({ thumbLook, thumbReference }),
    );
  });
}

test('SDR sources get no tone mapping', async () => {
  const { sdr } = await clips;
  const video = (await probeMedia(sdr)).streams.find((s) => s.codec_type === 'video');
  assert.equal(hdrTransfer(video), undefined);
  assert.deepEqual(toneMapFilters(video), []);
});
