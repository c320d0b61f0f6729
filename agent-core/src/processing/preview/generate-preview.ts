// `generate_preview`: one browser-playable review proxy per asset (docs/protocol.md#job-types-and-outputs).
//   video → MP4 H.264 High yuv420p ≤720p + AAC-LC, faststart
//   audio → M4A AAC-LC
//   photo → WebP q75 sRGB, long edge ≤ 2048
import { join } from 'node:path';
import type { MediaType } from '@retaia/protocol';
import { mediaTypeFromExtension, mediaTypeFromProbe } from '../media-kind.js';
import {
  ProcessingAbortedError,
  ProcessingError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processor.js';
import { binariesFor, type MediaProcessorOptions } from '../processor-options.js';
import {
  assertReadableMediaFile,
  probeMedia,
  runFfmpeg,
  sourceInputArgs,
  type ProbeResult,
} from '../tools/ffmpeg.js';
import { renderPhotoPreview } from './photo-preview.js';
import { aacArgs, videoPreviewArgs } from './video-preview-args.js';
import {
  detectVideoEncoder,
  VideoEncoderSelector,
  type VideoEncoderChoice,
  type VideoEncoderMode,
  type VideoEncoderName,
} from './video-encoder.js';

export { PHOTO_PREVIEW_PROFILE } from './photo-preview.js';

export interface PreviewOptions extends MediaProcessorOptions {
  /** x264 preset override (tests only; users get VIDEO_PREVIEW_PROFILE.preset). */
  x264Preset?: string;
  /** `software` forces libx264; `auto` (default) uses a hardware encoder that passes a trial. */
  videoEncoder?: VideoEncoderMode;
  /** Where the detected encoder is remembered per ffmpeg binary (none: detect once per process). */
  videoEncoderCacheFile?: string;
  /** Shares one detection between processors, or forces a choice (tests). */
  encoderSelector?: VideoEncoderSelector;
}

const SOFTWARE_BY_CHOICE: VideoEncoderChoice = {
  encoder: 'libx264',
  hardware: false,
  reason: 'software encoding chosen in settings',
  trials: [],
};

export class GeneratePreviewProcessor implements Processor {
  readonly jobType = 'generate_preview' as const;
  private readonly encoders: VideoEncoderSelector;

  constructor(private readonly opts: PreviewOptions = {}) {
    this.encoders =
      opts.encoderSelector ??
      new VideoEncoderSelector(() =>
        detectVideoEncoder({
          binaries: binariesFor(opts),
          ...(opts.videoEncoderCacheFile ? { cacheFile: opts.videoEncoderCacheFile } : {}),
        }),
      );
  }

  /** The encoder video proxies use now, and why (diagnostics, desktop app). */
  videoEncoder(): Promise<VideoEncoderChoice> {
    // Read at each call: the setting can change while the daemon runs.
    if (this.opts.videoEncoder === 'software') return Promise.resolve(SOFTWARE_BY_CHOICE);
    return this.encoders.current();
  }

  /** A real encode on `encoder` (hardware) failed: never again in this process; the fallback. */
  hardwareFailed(encoder: VideoEncoderName, why: string): VideoEncoderChoice {
    return this.encoders.markFailed(encoder, why);
  }

  async run(ctx: ProcessorContext): Promise<ProcessorOutput> {
    const started = Date.now();
    assertReadableMediaFile(ctx.sourcePath);
    let mediaType: MediaType | undefined = ctx.mediaType ?? mediaTypeFromExtension(ctx.sourcePath);
    if (mediaType === 'PHOTO') return this.photo(ctx, started);

    const binaries = binariesFor(this.opts);
    ctx.onProgress({ stage: 'probing' });
    const probe = await probeMedia(ctx.sourcePath, { signal: ctx.signal, binaries });
    mediaType = mediaTypeFromProbe(probe);
    if (!mediaType) {
      throw new ProcessingError(
        'NO_DECODABLE_STREAM',
        `no audio or video stream in ${ctx.sourcePath}`,
        false,
      );
    }
    if (mediaType === 'PHOTO') return this.photo(ctx, started);
    return mediaType === 'VIDEO'
      ? this.video(ctx, probe, started)
      : this.audio(ctx, probe, started);
  }

  private async video(
    ctx: ProcessorContext,
    probe: ProbeResult,
    started: number,
  ): Promise<ProcessorOutput> {
    const output = join(ctx.workDir, 'preview.mp4');
    const preset = this.opts.x264Preset ? { preset: this.opts.x264Preset } : {};
    const choice = await this.videoEncoder();
    let encoder = choice.encoder;
    let plan = videoPreviewArgs(ctx.sourcePath, output, probe, { ...preset, encoder });
    const warnings: string[] = [];
    try {
      await this.encode(ctx, plan.args, plan.durationMs);
    } catch (err) {
      // Only a hardware path gets a second chance; libx264 failing means the source is the problem.
      if (!choice.hardware || err instanceof ProcessingAbortedError || ctx.signal.aborted)
        throw err;
      const fallback = this.hardwareFailed(choice.encoder, (err as Error).message);
      ctx.logger.warn(
        { encoder: choice.encoder, reason: fallback.reason },
        'hardware encode failed',
      );
      warnings.push(fallback.reason);
      encoder = fallback.encoder;
      plan = videoPreviewArgs(ctx.sourcePath, output, probe, { ...preset, encoder });
      await this.encode(ctx, plan.args, plan.durationMs);
    }
    return {
      type: 'derived',
      files: [{ kind: 'preview_video', path: output, contentType: 'video/mp4' }],
      metrics: {
        elapsed_ms: Date.now() - started,
        has_audio: plan.hasAudio,
        encoder,
        ...(plan.fps ? { fps: plan.fps } : {}),
      },
      ...(warnings.length ? { warnings } : {}),
    };
  }

  private async audio(
    ctx: ProcessorContext,
    probe: ProbeResult,
    started: number,
  ): Promise<ProcessorOutput> {
    const a = probe.streams.find((s) => s.codec_type === 'audio')!;
    const output = join(ctx.workDir, 'preview.m4a');
    const args = [
      ...sourceInputArgs(ctx.sourcePath),
      '-map',
      '0:a:0',
      '-vn',
      '-sn',
      '-dn',
      '-map_metadata',
      '-1',
      ...aacArgs(a.channels, a.sample_rate),
      '-movflags',
      '+faststart',
      '-f',
      'ipod',
      output,
    ];
    const durationMs = probe.format.duration ? Math.round(probe.format.duration * 1000) : undefined;
    await this.encode(ctx, args, durationMs);
    return {
      type: 'derived',
      files: [{ kind: 'preview_audio', path: output, contentType: 'audio/mp4' }],
      metrics: { elapsed_ms: Date.now() - started },
    };
  }

  private async encode(
    ctx: ProcessorContext,
    args: string[],
    durationMs: number | undefined,
  ): Promise<void> {
    ctx.onProgress({ stage: 'encoding', percent: 0 });
    ctx.logger.debug({ ffmpeg_args: args }, 'preview encode starting');
    const t0 = Date.now();
    let lastPercent = -1;
    await runFfmpeg(args, {
      source: ctx.sourcePath,
      signal: ctx.signal,
      binaries: binariesFor(this.opts),
      ...(durationMs ? { durationMs } : {}),
      onProgress: (p) => {
        // Whole percents only: the daemon forwards progress to UIs, no need for 10 events/s.
        const pct = p.percent === undefined ? undefined : Math.floor(p.percent);
        if (pct !== undefined && pct === lastPercent) return;
        lastPercent = pct ?? lastPercent;
        ctx.onProgress(
          pct === undefined ? { stage: 'encoding' } : { stage: 'encoding', percent: pct },
        );
      },
    });
    ctx.onProgress({ stage: 'encoding', percent: 100 });
    ctx.logger.info({ elapsed_ms: Date.now() - t0, duration_ms: durationMs }, 'preview encoded');
  }

  private photo(ctx: ProcessorContext, started: number): Promise<ProcessorOutput> {
    return renderPhotoPreview(ctx, started);
  }
}
