// `generate_thumbnails` (video): the representative frame and a 10-frame storyboard, WebP
// 480 px wide sRGB. Output order (the published thumb list): file 0 is the representative
// (video_representative_v1), files 1..10 are the storyboard (video_storyboard_v1) in
// chronological order; the representative image also appears at its place in the storyboard.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMotionVideo } from '../media-kind.js';
import {
  ProcessingError,
  type DerivedFile,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processor.js';
import { binariesFor, type MediaProcessorOptions } from '../processor-options.js';
import {
  assertReadableMediaFile,
  extractVideoFrame,
  probeMedia,
  type FfmpegBinaries,
  type RgbFrame,
} from '../tools/ffmpeg.js';
import { toneMapFilters } from '../tools/hdr.js';
import { renderWebp } from '../tools/image.js';
import {
  THUMB_PROFILE,
  alternativesFor,
  frameQuality,
  frameScore,
  isPoorFrame,
  storyboardPlan,
  type StoryboardSlot,
} from './thumbnail-plan.js';

/** Frame grabs run two at a time: each is a short single-threaded-ish decode after a seek. */
const GRAB_CONCURRENCY = 2;

export class GenerateThumbnailsProcessor implements Processor {
  readonly jobType = 'generate_thumbnails' as const;
  constructor(private readonly opts: MediaProcessorOptions = {}) {}

  async run(ctx: ProcessorContext): Promise<ProcessorOutput> {
    const started = Date.now();
    assertReadableMediaFile(ctx.sourcePath);
    const binaries = binariesFor(this.opts);
    ctx.onProgress({ stage: 'probing' });
    const probe = await probeMedia(ctx.sourcePath, { signal: ctx.signal, binaries });
    const video = probe.streams.find(isMotionVideo);
    if (!video) {
      throw new ProcessingError(
        'NO_DECODABLE_STREAM',
        `no video stream to take thumbnails from in ${ctx.sourcePath}`,
        false,
      );
    }
    const durationMs = Math.round((probe.format.duration ?? video.duration ?? 0) * 1000);
    if (!durationMs) {
      throw new ProcessingError(
        'MEDIA_UNREADABLE',
        `video duration unknown (truncated file?): ${ctx.sourcePath}`,
        false,
      );
    }

    // HDR sources: thumbnails tone-mapped to SDR like the preview.
    const toneMap = toneMapFilters(video);
    const slots = storyboardPlan(durationMs);
    const chosen: ChosenFrame[] = new Array(slots.length);
    let done = 0;
    ctx.onProgress({ stage: 'thumbnails', percent: 0 });
    const queue = slots.map((slot, i) => ({ slot, i }));
    const worker = async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (ctx.signal.aborted) break;
        chosen[job.i] = await this.pickFrame(ctx, binaries, job.slot, toneMap);
        done++;
        ctx.onProgress({ stage: 'thumbnails', percent: Math.round((done / slots.length) * 90) });
      }
    };
    // allSettled: on abort/failure wait for every grab's ffmpeg to be gone before rethrowing.
    const settled = await Promise.allSettled(Array.from({ length: GRAB_CONCURRENCY }, worker));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    return renderStoryboard(ctx, chosen, started);
  }

  /** The planned frame, or the nearest non-black/non-flat alternative inside the slot. */
  private async pickFrame(
    ctx: ProcessorContext,
    binaries: FfmpegBinaries,
    slot: StoryboardSlot,
    filters: string[],
  ) {
    const tried: { atMs: number; frame?: RgbFrame }[] = [];
    for (const atMs of [slot.atMs, ...alternativesFor(slot)]) {
      const frame = await extractVideoFrame(ctx.sourcePath, {
        atMs,
        width: THUMB_PROFILE.width,
        filters,
        signal: ctx.signal,
        binaries,
      });
      if (!frame) continue;
      tried.push({ atMs, frame });
      if (!isPoorFrame(frameQuality(frame.rgb, frame.width, frame.height))) break;
    }
    const best = bestCandidate(tried);
    if (!best) {
      // Seeking near the end of some files yields nothing; fall back to the first frame.
      const frame = await extractVideoFrame(ctx.sourcePath, {
        atMs: 0,
        width: THUMB_PROFILE.width,
        filters,
        signal: ctx.signal,
        binaries,
      });
      if (!frame)
        throw new ProcessingError(
          'NO_DECODABLE_STREAM',
          `no decodable video frame in ${ctx.sourcePath}`,
          false,
        );
      return { slot, atMs: 0, frame };
    }
    return { slot, atMs: best.atMs, frame: best.frame };
  }
}

/** A slot's frame: the first candidate (in preference order) that is not poor, else the best. */
export function bestCandidate(
  candidates: readonly { atMs: number; frame?: RgbFrame }[],
): { atMs: number; frame: RgbFrame } | undefined {
  let best: { atMs: number; frame: RgbFrame; score: number } | undefined;
  for (const { atMs, frame } of candidates) {
    if (!frame) continue;
    const q = frameQuality(frame.rgb, frame.width, frame.height);
    if (!isPoorFrame(q)) return { atMs, frame };
    const score = frameScore(q);
    if (!best || score > best.score) best = { atMs, frame, score };
  }
  return best;
}

export interface ChosenFrame {
  slot: StoryboardSlot;
  atMs: number;
  frame: RgbFrame;
}

/** Writes the storyboard WebPs and the representative into ctx.workDir: the job's output. */
export async function renderStoryboard(
  ctx: ProcessorContext,
  chosen: readonly ChosenFrame[],
  started: number,
): Promise<ProcessorOutput> {
  const files: DerivedFile[] = [];
  for (const [i, c] of chosen.entries()) {
    const path = join(ctx.workDir, `storyboard-${String(i + 1).padStart(2, '0')}.webp`);
    await renderWebp(c.frame.rgb, {
      output: path,
      quality: THUMB_PROFILE.quality,
      raw: { width: c.frame.width, height: c.frame.height, channels: 3 },
      signal: ctx.signal,
    });
    files.push({ kind: 'thumb', path, contentType: 'image/webp' });
  }
  const repIndex = chosen.findIndex((c) => c.slot.representative);
  const repPath = join(ctx.workDir, 'representative.webp');
  await copyFile(files[repIndex]!.path, repPath);
  ctx.onProgress({ stage: 'thumbnails', percent: 100 });
  return {
    type: 'derived',
    files: [{ kind: 'thumb', path: repPath, contentType: 'image/webp' }, ...files],
    metrics: {
      elapsed_ms: Date.now() - started,
      profiles: [THUMB_PROFILE.representative, THUMB_PROFILE.storyboard],
      representative_ms: chosen[repIndex]!.atMs,
      storyboard_ms: chosen.map((c) => c.atMs),
    },
  };
}
