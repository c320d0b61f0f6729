// Builds the media processors this agent offers and works out which capabilities it can
// honestly declare (docs/protocol.md#job-types-and-outputs: declare a capability only when its tool really works here).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPABILITIES, type JobType } from '@retaia/protocol';
import { ExtractFactsProcessor } from './facts/extract-facts.js';
import { GeneratePreviewProcessor, type PreviewOptions } from './preview/generate-preview.js';
import { GenerateThumbnailsProcessor } from './thumbnails/generate-thumbnails.js';
import { GenerateWaveformProcessor } from './waveform/generate-waveform.js';
import type { Processor } from './processor.js';
import { ReviewPass } from './asset-pass/review-pass.js';
import { joinPass, PASS_JOB_TYPES } from './asset-pass/pass-registry.js';
import type { MediaProcessorOptions } from './processor-options.js';
import {
  listFfmpegEncoders,
  resolveFfmpegBinaries,
  runFfmpeg,
  toolVersion,
} from './tools/ffmpeg.js';
import { loadSharp } from './tools/image.js';

export type CreateProcessorsOptions = MediaProcessorOptions &
  Pick<PreviewOptions, 'videoEncoder' | 'videoEncoderCacheFile' | 'x264Preset'>;

/** One processor per media job type (transcription lives in processing/transcription). */
export function createProcessors(opts: CreateProcessorsOptions = {}): Map<JobType, Processor> {
  const preview = new GeneratePreviewProcessor(opts);
  const list: Processor[] = [
    new ExtractFactsProcessor(opts),
    preview,
    new GenerateThumbnailsProcessor(opts),
    new GenerateWaveformProcessor(opts),
  ];
  const processors = new Map(list.map((p) => [p.jobType, p]));
  // Preview, thumbnails and waveform of one video can share a decode (asset-pass/review-pass.ts).
  const pass = new ReviewPass(opts, preview, new Map(processors));
  for (const p of list) if (PASS_JOB_TYPES.has(p.jobType)) joinPass(p, pass);
  return processors;
}

export interface MediaCapabilities {
  capabilities: string[];
  /** Operator-facing reasons a capability is missing. */
  problems: string[];
  ffmpeg?: { ffmpeg: string; ffprobe: string; source: string; version: string };
}

/**
 * Checks the tools for real: ffmpeg and ffprobe run, the encoders the previews need exist, a
 * tiny H.264+AAC encode works, and sharp loads and encodes WebP.
 */
export async function detectMediaCapabilities(
  opts: CreateProcessorsOptions = {},
): Promise<MediaCapabilities> {
  const caps = new Set<string>();
  const problems: string[] = [];
  let ffmpegInfo: MediaCapabilities['ffmpeg'];

  let ffmpegOk = false;
  let encoders = new Set<string>();
  try {
    const bins = opts.binaries ?? resolveFfmpegBinaries(opts);
    const version = await toolVersion(bins.ffmpeg);
    await toolVersion(bins.ffprobe);
    encoders = await listFfmpegEncoders({ binaries: bins });
    ffmpegInfo = { ...bins, version };
    // A real one-frame encode catches broken builds that list encoders they cannot run.
    const dir = await mkdtemp(join(tmpdir(), 'retaia-capcheck-'));
    try {
      await runFfmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          'testsrc2=d=0.2:s=64x64:r=10',
          '-f',
          'lavfi',
          '-i',
          'sine=d=0.2',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuv420p',
          '-c:a',
          'aac',
          '-shortest',
          join(dir, 'check.mp4'),
        ],
        { binaries: bins },
      );
      ffmpegOk = true;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } catch (err) {
    problems.push(`ffmpeg: ${(err as Error).message}`);
  }

  if (ffmpegOk) {
    caps.add(CAPABILITIES.facts);
    caps.add(CAPABILITIES.waveform);
    if (encoders.has('libx264') && encoders.has('aac')) caps.add(CAPABILITIES.previewVideo);
    else problems.push('ffmpeg lacks libx264 or aac: no video previews');
    if (encoders.has('aac')) caps.add(CAPABILITIES.previewAudio);
    else problems.push('ffmpeg lacks the aac encoder: no audio previews');
  }

  let sharpOk = false;
  try {
    const sharp = await loadSharp();
    await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .webp()
      .toBuffer();
    sharpOk = true;
  } catch (err) {
    problems.push(`sharp: ${(err as Error).message}`);
  }
  // Facts for photos and photo previews need sharp; thumbnails decode with ffmpeg, encode with sharp.
  if (sharpOk) {
    caps.add(CAPABILITIES.previewPhoto);
    if (ffmpegOk) caps.add(CAPABILITIES.thumbnails);
  } else {
    caps.delete(CAPABILITIES.facts);
    problems.push('sharp unavailable: no photo previews, thumbnails or facts');
  }
  return {
    capabilities: [...caps].sort(),
    problems,
    ...(ffmpegInfo ? { ffmpeg: ffmpegInfo } : {}),
  };
}
