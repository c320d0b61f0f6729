// `extract_facts`: everything the file really says about itself, as a contract FactsPatch.
import { extname } from 'node:path';
import type { FactsPatch, MediaType } from '@retaia/protocol';
import { mediaTypeFromExtension, mediaTypeFromProbe } from '../media-kind.js';
import {
  ProcessingError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processor.js';
import { binariesFor, type MediaProcessorOptions } from '../processor-options.js';
import { assertReadableMediaFile, measureReadableDurationMs, probeMedia } from '../tools/ffmpeg.js';
import { readBwfMetadata } from './bwf-metadata.js';
import { photoFacts } from './photo-facts.js';
import { factsFromProbe, formatClock, looksTruncated, normalizeDate } from './probe-facts.js';

/** docs/protocol.md#job-types-and-outputs minimum facts per media type. */
const REQUIRED: Record<MediaType, (keyof FactsPatch)[]> = {
  PHOTO: ['media_format', 'width', 'height'],
  AUDIO: ['duration_ms', 'media_format', 'audio_codec'],
  VIDEO: ['duration_ms', 'media_format', 'video_codec', 'width', 'height', 'fps'],
};

export class ExtractFactsProcessor implements Processor {
  readonly jobType = 'extract_facts' as const;
  constructor(private readonly opts: MediaProcessorOptions = {}) {}

  async run(ctx: ProcessorContext): Promise<ProcessorOutput> {
    const started = Date.now();
    ctx.onProgress({ stage: 'probing', percent: 0 });
    const { sizeBytes } = assertReadableMediaFile(ctx.sourcePath);
    let mediaType = ctx.mediaType ?? mediaTypeFromExtension(ctx.sourcePath);
    let facts: FactsPatch;
    const warnings: string[] = [];

    if (mediaType === 'PHOTO') {
      const photo = await photoFacts(ctx.sourcePath, { signal: ctx.signal });
      facts = photo.facts;
      warnings.push(...photo.warnings);
    } else {
      const probe = await probeMedia(ctx.sourcePath, {
        signal: ctx.signal,
        binaries: binariesFor(this.opts),
      });
      const probed = mediaTypeFromProbe(probe);
      if (!probed) {
        throw new ProcessingError(
          'NO_DECODABLE_STREAM',
          `no audio or video stream found in ${ctx.sourcePath}`,
          false,
        );
      }
      if (mediaType && mediaType !== probed) {
        warnings.push(
          `job says ${mediaType} but the file contains ${probed}; facts describe the file`,
        );
      }
      mediaType = probed;
      facts =
        mediaType === 'PHOTO'
          ? (await photoFacts(ctx.sourcePath, { signal: ctx.signal })).facts
          : factsFromProbe(probe, ctx.sourcePath);
      if (mediaType !== 'PHOTO' && looksTruncated(probe, sizeBytes)) {
        await useReadableDuration(ctx, this.opts, facts, warnings);
      }
      if (
        mediaType === 'AUDIO' &&
        ['.wav', '.bwf'].includes(extname(ctx.sourcePath).toLowerCase())
      ) {
        await addBwfFacts(ctx.sourcePath, facts);
      }
    }

    const missing = REQUIRED[mediaType].filter((k) => facts[k] === undefined);
    if (missing.length) {
      throw new ProcessingError(
        'FACTS_INCOMPLETE',
        `cannot read the minimum ${mediaType.toLowerCase()} facts (${missing.join(', ')}) from ${ctx.sourcePath}; the file is probably truncated or damaged`,
        false,
      );
    }
    ctx.onProgress({ stage: 'probing', percent: 100 });
    return {
      type: 'facts',
      factsPatch: facts,
      ...(warnings.length ? { warnings } : {}),
      metrics: { media_type: mediaType, elapsed_ms: Date.now() - started },
    };
  }
}

/**
 * A truncated file still announces its header's duration; report what can really be read
 * (a truncated MP3 says 3:37 when 12.5 s play) and say so in a warning.
 */
async function useReadableDuration(
  ctx: ProcessorContext,
  opts: MediaProcessorOptions,
  facts: FactsPatch,
  warnings: string[],
): Promise<void> {
  const announced = facts.duration_ms;
  const readable = await measureReadableDurationMs(ctx.sourcePath, {
    signal: ctx.signal,
    binaries: binariesFor(opts),
  });
  if (!announced || readable <= 0 || readable >= announced * 0.98) return;
  facts.duration_ms = readable;
  warnings.push(
    `Truncated file: its header announces ${formatClock(announced)} but only ` +
      `${formatClock(readable)} can be played; duration_ms reports what plays.`,
  );
}

async function addBwfFacts(path: string, facts: FactsPatch): Promise<void> {
  const bwf = await readBwfMetadata(path).catch(() => undefined);
  if (!bwf) return;
  if (bwf.recorderModel) facts.recorder_model = bwf.recorderModel;
  if (bwf.date && /^\d{4}[-:/]\d{2}[-:/]\d{2}$/.test(bwf.date)) {
    const time = bwf.time && /^\d{2}[-:.]\d{2}[-:.]\d{2}$/.test(bwf.time) ? bwf.time : '00:00:00';
    // bext/iXML dates carry no zone; we publish them as UTC (README, "captured_at").
    const iso = normalizeDate(`${bwf.date.replace(/[:/]/g, '-')}T${time.replace(/[-.]/g, ':')}Z`);
    if (iso) facts.captured_at = iso;
  }
}
