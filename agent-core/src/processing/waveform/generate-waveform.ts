// `generate_audio_waveform`: {"duration_ms", "bucket_count":1000, "samples":[peak 0..1 ×1000]}
// over the whole duration. The first audio stream is decoded once, downmixed to mono at its own
// sample rate (capped at 48 kHz) and aggregated as it streams. Measured on a 1 h MP3: resampling
// to a low rate is *slower* than not resampling (the resampler costs more than the extra pipe
// bytes) and its low-pass filter also shaves real peaks, so we do not resample.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ProcessingError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processor.js';
import { binariesFor, type MediaProcessorOptions } from '../processor-options.js';
import { looksTruncated } from '../facts/probe-facts.js';
import {
  assertReadableMediaFile,
  decodePcm,
  measureReadableDurationMs,
  probeMedia,
  type ProbeStream,
} from '../tools/ffmpeg.js';
import { PeakWaveformBuilder } from './peak-waveform-builder.js';

export const WAVEFORM_PROFILE = { bucketCount: 1000, maxDecodeRateHz: 48_000 } as const;

export class GenerateWaveformProcessor implements Processor {
  readonly jobType = 'generate_audio_waveform' as const;
  constructor(private readonly opts: MediaProcessorOptions = {}) {}

  async run(ctx: ProcessorContext): Promise<ProcessorOutput> {
    const started = Date.now();
    const { sizeBytes } = assertReadableMediaFile(ctx.sourcePath);
    const binaries = binariesFor(this.opts);
    ctx.onProgress({ stage: 'probing' });
    const probe = await probeMedia(ctx.sourcePath, { signal: ctx.signal, binaries });
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    if (!audio) {
      throw new ProcessingError(
        'NO_DECODABLE_STREAM',
        `no audio stream to draw a waveform from in ${ctx.sourcePath}`,
        false,
      );
    }
    let durationS = probe.format.duration ?? audio.duration;
    // A truncated file announces its header's length; draw over what really plays, so the
    // waveform and the facts' duration agree.
    if (looksTruncated(probe, sizeBytes)) {
      const readableMs = await measureReadableDurationMs(ctx.sourcePath, {
        signal: ctx.signal,
        binaries,
      });
      if (readableMs > 0) durationS = Math.min(durationS ?? Infinity, readableMs / 1000);
    }
    if (!durationS || durationS <= 0) {
      throw new ProcessingError(
        'MEDIA_UNREADABLE',
        `audio duration unknown (truncated file?): ${ctx.sourcePath}`,
        false,
      );
    }
    const rate = waveformDecodeRate(audio);
    const expected = Math.max(1, Math.round(durationS * rate));
    const builder = new PeakWaveformBuilder(WAVEFORM_PROFILE.bucketCount, expected);
    let lastPct = -1;
    ctx.onProgress({ stage: 'waveform', percent: 0 });
    for await (const chunk of decodePcm(ctx.sourcePath, {
      sampleRate: rate,
      channels: 1,
      signal: ctx.signal,
      binaries,
    })) {
      builder.push(chunk);
      const pct = Math.min(99, Math.floor((builder.samplesSeen / expected) * 100));
      if (pct !== lastPct) {
        lastPct = pct;
        ctx.onProgress({ stage: 'waveform', percent: pct });
      }
    }
    return writeWaveform(ctx, builder, { durationS, rate, started });
  }
}

/** The rate the audio is decoded at for the waveform: its own, capped (see the top comment). */
export function waveformDecodeRate(audio: ProbeStream): number {
  return Math.min(WAVEFORM_PROFILE.maxDecodeRateHz, Math.round(audio.sample_rate ?? 44_100));
}

/** Writes waveform.json into ctx.workDir from the peaks gathered: the job's output. */
export async function writeWaveform(
  ctx: ProcessorContext,
  builder: PeakWaveformBuilder,
  at: { durationS: number; rate: number; started: number },
): Promise<ProcessorOutput> {
  const { durationS, rate } = at;
  const expected = Math.max(1, Math.round(durationS * rate));
  if (builder.samplesSeen === 0) {
    throw new ProcessingError(
      'NO_DECODABLE_STREAM',
      `the audio stream of ${ctx.sourcePath} decodes to nothing`,
      false,
    );
  }
  const body = {
    duration_ms: Math.round(durationS * 1000),
    bucket_count: WAVEFORM_PROFILE.bucketCount,
    samples: builder.result(),
  };
  const path = join(ctx.workDir, 'waveform.json');
  await writeFile(path, JSON.stringify(body));
  ctx.onProgress({ stage: 'waveform', percent: 100 });
  const warnings =
    Math.abs(builder.samplesSeen - expected) > rate
      ? [
          `decoded ${(builder.samplesSeen / rate).toFixed(1)} s of audio, container says ${durationS.toFixed(1)} s`,
        ]
      : [];
  return {
    type: 'derived',
    files: [{ kind: 'waveform', path, contentType: 'application/json' }],
    metrics: { elapsed_ms: Date.now() - at.started, decoded_samples: builder.samplesSeen },
    ...(warnings.length ? { warnings } : {}),
  };
}
