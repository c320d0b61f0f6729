// Real-world bad input through the real processors (real ffmpeg, real files): each failure has
// the right code, is final (non-retryable), and says what is wrong in human words; a truncated
// file that still plays reports what plays, with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobType, MediaType } from '@retaia/protocol';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { GeneratePreviewProcessor } from '../preview/generate-preview.js';
import { ProcessingError, type Processor, type ProcessorContext } from '../processor.js';
import { GenerateThumbnailsProcessor } from '../thumbnails/generate-thumbnails.js';
import { resolveFfmpegBinaries, runFfmpeg } from '../tools/ffmpeg.js';
import { GenerateWaveformProcessor } from '../waveform/generate-waveform.js';
import { ExtractFactsProcessor } from './extract-facts.js';

const tmp = mkdtempSync(join(tmpdir(), 'retaia-bad-input-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const facts = new ExtractFactsProcessor();
const all: Processor[] = [
  facts,
  new GeneratePreviewProcessor({ x264Preset: 'ultrafast' }),
  new GenerateThumbnailsProcessor(),
  new GenerateWaveformProcessor(),
];

function ctx(sourcePath: string, jobType: JobType, mediaType: MediaType): ProcessorContext {
  return {
    jobId: 'job-bad',
    jobType,
    assetUuid: 'asset-bad',
    mediaType,
    sourcePath,
    sidecarPaths: [],
    workDir: mkdtempSync(join(tmp, 'work-')),
    signal: new AbortController().signal,
    onProgress: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

async function expectFailure(
  p: Processor,
  path: string,
  mediaType: MediaType,
  code: string,
  message: RegExp,
) {
  await assert.rejects(p.run(ctx(path, p.jobType, mediaType)), (e: unknown) => {
    assert.ok(e instanceof ProcessingError, `${p.jobType}: ${String(e)}`);
    assert.equal(e.code, code, `${p.jobType} on ${path}: ${e.message}`);
    assert.equal(e.retryable, false, `${p.jobType}: ${code} is final`);
    assert.match(e.message, message, p.jobType);
    return true;
  });
}

test('zero-byte file: "Empty file (0 bytes)", MEDIA_EMPTY, from every processor', async () => {
  const empty = join(tmp, 'card-dump.mp4');
  writeFileSync(empty, '');
  for (const p of all)
    await expectFailure(
      p,
      empty,
      'VIDEO',
      'MEDIA_EMPTY',
      /^Empty file \(0 bytes\): card-dump\.mp4/,
    );
});

const jpeg = sharedMedia('photo/Canon_40D.jpg');
test(
  'a JPEG named .mov is called what it is, MEDIA_MISLABELLED, from every processor',
  { skip: jpeg.skipReason },
  async () => {
    const mov = join(tmp, 'IMG_0042.mov');
    copyFileSync(jpeg.path!, mov);
    for (const p of all) {
      await expectFailure(
        p,
        mov,
        'VIDEO',
        'MEDIA_MISLABELLED',
        /^This is a JPEG image named \.mov, not audio or video: IMG_0042\.mov\. Rename it to \.jpg/,
      );
    }
    // A document wearing an audio extension.
    const pdf = join(tmp, 'minutes.mp3');
    writeFileSync(pdf, '%PDF-1.4\n%âãÏÓ\n1 0 obj << /Type /Catalog >> endobj\n'.repeat(20));
    await expectFailure(
      facts,
      pdf,
      'AUDIO',
      'MEDIA_MISLABELLED',
      /This is a PDF document named \.mp3/,
    );
  },
);

test('corrupt and truncated video: human message, MEDIA_UNREADABLE', async () => {
  // ffmpeg writes the index (moov) at the end unless asked otherwise: a cut copy loses it.
  const whole = join(tmp, 'whole.mp4');
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=d=2:s=320x180:r=25',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    whole,
  ]);
  const cut = join(tmp, 'cut.mp4');
  const bytes = readFileSync(whole);
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expectFailure(
    facts,
    cut,
    'VIDEO',
    'MEDIA_UNREADABLE',
    /^Truncated or corrupt MP4 file: cut\.mp4 has no index \(moov atom\)/,
  );
  const noise = join(tmp, 'noise.mkv');
  writeFileSync(noise, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
  await expectFailure(facts, noise, 'VIDEO', 'MEDIA_UNREADABLE', /noise\.mkv/);
});

/** What an independent full decode of `path` by ffmpeg yields, in ms. */
function decodedMs(path: string): number {
  const { ffmpeg } = resolveFfmpegBinaries();
  const r = spawnSync(
    ffmpeg,
    ['-v', 'error', '-i', path, '-f', 'null', '-', '-progress', 'pipe:1'],
    {
      encoding: 'utf8',
    },
  );
  const times = [...r.stdout.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1]) / 1000);
  return Math.max(0, ...times);
}

const mp3 = sharedMedia('audio/sample1.mp3');
test(
  'a truncated MP3 reports the duration that decodes, with a warning; the waveform agrees',
  { skip: mp3.skipReason },
  async () => {
    const cut = join(tmp, 'cut.mp3');
    // `head -c 300000`: the first ~15 % of a 122 s, 128 kbit/s file whose header still says 122 s.
    writeFileSync(cut, readFileSync(mp3.path!).subarray(0, 300_000));
    const decoded = decodedMs(cut);
    const whole = decodedMs(mp3.path!);
    assert.ok(
      decoded > 5_000 && decoded < whole / 2,
      `independent decode: ${decoded} of ${whole} ms`,
    );

    const out = await facts.run(ctx(cut, 'extract_facts', 'AUDIO'));
    assert.equal(out.type, 'facts');
    if (out.type !== 'facts') return;
    const ms = out.factsPatch.duration_ms!;
    assert.ok(Math.abs(ms - decoded) < 300, `facts say ${ms} ms, ffmpeg decodes ${decoded} ms`);
    assert.ok(
      out.warnings?.some((w) =>
        /^Truncated file: its header announces 2:02(\.\d)? but only 0:1\d/.test(w),
      ),
      JSON.stringify(out.warnings),
    );

    const wave = await all[3]!.run(ctx(cut, 'generate_audio_waveform', 'AUDIO'));
    assert.equal(wave.type, 'derived');
    if (wave.type !== 'derived') return;
    const body = JSON.parse(readFileSync(wave.files[0]!.path, 'utf8')) as {
      duration_ms: number;
      samples: number[];
    };
    assert.ok(Math.abs(body.duration_ms - decoded) < 300, `waveform says ${body.duration_ms} ms`);
    // Drawn over what plays: the last buckets hold music, not the silence of missing bytes.
    assert.ok(Math.max(...body.samples.slice(-50)) > 0.05, 'waveform fills its whole width');

    // The intact file raises no such warning and keeps its full length.
    const intact = await facts.run(ctx(mp3.path!, 'extract_facts', 'AUDIO'));
    assert.ok(intact.type === 'facts' && !intact.warnings?.some((w) => /Truncated/.test(w)));
    assert.ok(intact.type === 'facts' && Math.abs(intact.factsPatch.duration_ms! - whole) < 300);
  },
);
