// Every media feature with the ffmpeg/ffprobe that ship inside the npm packages
// (@ffmpeg-installer, @ffprobe-installer): what a machine with nothing but Node runs. The
// binaries are chosen the way an operator would, through RETAIA_FFMPEG_PATH/RETAIA_FFPROBE_PATH,
// and the processors pick them up per job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobType, MediaType } from '@retaia/protocol';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ExtractFactsProcessor } from '../facts/extract-facts.js';
import { GeneratePreviewProcessor } from '../preview/generate-preview.js';
import type { Processor, ProcessorContext } from '../processor.js';
import { GenerateThumbnailsProcessor } from '../thumbnails/generate-thumbnails.js';
import { GenerateWaveformProcessor } from '../waveform/generate-waveform.js';
import { describeFfmpeg, probeMedia, resolveFfmpegBinaries } from './ffmpeg.js';
import { packageBinary } from './ffmpeg-binaries.js';

const tmp = mkdtempSync(join(tmpdir(), 'retaia-bundled-ffmpeg-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const validator = loadContractValidator();

const ffmpeg = packageBinary('@ffmpeg-installer/ffmpeg');
const ffprobe = packageBinary('@ffprobe-installer/ffprobe');
const skip =
  !ffmpeg || !ffprobe
    ? `no bundled ffmpeg/ffprobe for ${process.platform}-${process.arch}`
    : undefined;

function ctx(sourcePath: string, jobType: JobType, mediaType: MediaType): ProcessorContext {
  return {
    jobId: `bundled-${jobType}`,
    jobType,
    assetUuid: 'asset-bundled',
    mediaType,
    sourcePath,
    sidecarPaths: [],
    workDir: mkdtempSync(join(tmp, `${jobType}-`)),
    signal: new AbortController().signal,
    onProgress: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

const samples: { rel: string; type: MediaType; jobs: JobType[] }[] = [
  {
    rel: 'video/sample-h264.mp4',
    type: 'VIDEO',
    jobs: ['extract_facts', 'generate_preview', 'generate_thumbnails', 'generate_audio_waveform'],
  },
  { rel: 'video/sample-h265.mp4', type: 'VIDEO', jobs: ['extract_facts', 'generate_preview'] },
  {
    rel: 'audio/sample1.mp3',
    type: 'AUDIO',
    jobs: ['extract_facts', 'generate_preview', 'generate_audio_waveform'],
  },
  {
    rel: 'audio/sample_Wireless_PRO.WAV',
    type: 'AUDIO',
    jobs: ['extract_facts', 'generate_audio_waveform'],
  },
];

test(
  'facts, previews, thumbnails and waveforms work with the bundled build',
  { skip },
  async (t) => {
    const saved = {
      ffmpeg: process.env.RETAIA_FFMPEG_PATH,
      ffprobe: process.env.RETAIA_FFPROBE_PATH,
    };
    process.env.RETAIA_FFMPEG_PATH = ffmpeg;
    process.env.RETAIA_FFPROBE_PATH = ffprobe;
    t.after(() => {
      for (const [k, v] of [
        ['RETAIA_FFMPEG_PATH', saved.ffmpeg],
        ['RETAIA_FFPROBE_PATH', saved.ffprobe],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });
    const bins = resolveFfmpegBinaries();
    assert.deepEqual([bins.ffmpeg, bins.ffprobe, bins.source], [ffmpeg, ffprobe, 'env']);
    const info = await describeFfmpeg();
    t.diagnostic(`bundled: ${info.version} / ${info.ffprobe.version}`);

    const processors = new Map<JobType, Processor>(
      [
        new ExtractFactsProcessor(),
        new GeneratePreviewProcessor({ x264Preset: 'ultrafast' }),
        new GenerateThumbnailsProcessor(),
        new GenerateWaveformProcessor(),
      ].map((p) => [p.jobType, p]),
    );
    let ran = 0;
    for (const s of samples) {
      const sample = sharedMedia(s.rel);
      if (!sample.path) {
        t.diagnostic(`skipping ${s.rel}: ${sample.skipReason}`);
        continue;
      }
      for (const jobType of s.jobs) {
        const out = await processors.get(jobType)!.run(ctx(sample.path, jobType, s.type));
        ran++;
        if (out.type === 'facts') {
          assert.deepEqual(validator.schemaErrors('FactsPatch', out.factsPatch), [], s.rel);
          assert.ok(out.factsPatch.duration_ms! > 1000, `${s.rel}: ${out.factsPatch.duration_ms}`);
          continue;
        }
        assert.equal(out.type, 'derived', `${s.rel} ${jobType}`);
        if (out.type !== 'derived') continue;
        const first = out.files[0]!;
        if (first.kind === 'preview_video') {
          // Checked with the bundled ffprobe too: H.264 8-bit, playable in a browser.
          const p = await probeMedia(first.path, { binaries: bins });
          const v = p.streams.find((x) => x.codec_type === 'video');
          assert.equal(v?.codec_name, 'h264', s.rel);
          assert.equal(v?.pix_fmt, 'yuv420p', s.rel);
          assert.ok((v?.height ?? 0) <= 720);
        } else if (first.kind === 'preview_audio') {
          const p = await probeMedia(first.path, { binaries: bins });
          assert.equal(p.streams[0]?.codec_name, 'aac', s.rel);
        } else if (first.kind === 'waveform') {
          const w = JSON.parse(readFileSync(first.path, 'utf8')) as { samples: number[] };
          assert.equal(w.samples.length, 1000);
          // The two music/voice samples have signal; the video sample's track is digital silence.
          if (s.type === 'AUDIO') assert.ok(Math.max(...w.samples) > 0.01, `${s.rel}: signal`);
        } else {
          assert.equal(first.kind, 'thumb');
          assert.equal(out.files.length, 11, 'representative + 10 storyboard frames');
        }
      }
    }
    assert.ok(ran > 0, 'at least one sample was processed');
  },
);
