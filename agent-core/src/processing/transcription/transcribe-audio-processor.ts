// `transcribe_audio`: probe → decode the first audio track to 16 kHz mono float through the
// ffmpeg module → whisper.cpp over fixed windows → one transcript patch. Audio is streamed and
// transcribed window by window, so memory stays at one window whatever the duration, progress is
// meaningful, and an abort never waits for more than the window being decoded.
import type { TranscriptPatch } from '@retaia/protocol';
import {
  ProcessingAbortedError,
  ProcessingError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processor.js';
import {
  decodePcm,
  probeMedia,
  resolveFfmpegBinaries,
  type FfmpegPathOptions,
} from '../tools/ffmpeg.js';
import type { ModelStore } from './model-store.js';
import { textPreview } from './text-preview.js';
import { TranscriptStitcher, wordsFromTokens, type TimedWord } from './transcript-stitcher.js';
import { TranscriberCache } from './transcriber-cache.js';
import {
  WHISPER_SAMPLE_RATE,
  type TranscribeResult,
  type TranscriberOptions,
} from './transcriber.js';

export interface TranscriptionProcessorOptions {
  modelStore: ModelStore;
  /** Share with detectTranscriptionCapabilities so the model is loaded once. Created if absent. */
  transcribers?: TranscriberCache;
  /** 'auto' (default) or an ISO 639-1 code forced for every job. */
  language?: string;
  threads?: number;
  /** Audio per whisper call; whisper's own context is 30 s, so keep it ≤ 30 000. */
  windowMs?: number;
  /** How much consecutive windows share, so words cut by a window edge are heard whole. */
  overlapMs?: number;
  ffmpeg?: FfmpegPathOptions;
  now?: () => Date;
  loadAddon?: TranscriberOptions['loadAddon'];
}

export interface TranscriptionProcessor extends Processor {
  readonly transcribers: TranscriberCache;
  /** Frees the loaded model. */
  close(): Promise<void>;
}

const DEFAULT_WINDOW_MS = 30_000;
const DEFAULT_OVERLAP_MS = 5_000;
/** Below this, whisper.cpp refuses the input ("input is too short"); trailing crumbs are skipped. */
const MIN_TAIL_SAMPLES = WHISPER_SAMPLE_RATE / 10;
/** Whisper's prompt is capped at half its 448-token text context; ~200 chars stays well under. */
const PROMPT_CHARS = 200;

export function createTranscriptionProcessor(
  opts: TranscriptionProcessorOptions,
): TranscriptionProcessor {
  const transcribers =
    opts.transcribers ??
    new TranscriberCache({
      modelStore: opts.modelStore,
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.loadAddon ? { loadAddon: opts.loadAddon } : {}),
    });
  const windowMs = Math.min(30_000, Math.max(1_000, opts.windowMs ?? DEFAULT_WINDOW_MS));
  const windowSamples = Math.round((windowMs / 1000) * WHISPER_SAMPLE_RATE);
  const overlapMs = Math.min(windowMs / 2, Math.max(0, opts.overlapMs ?? DEFAULT_OVERLAP_MS));
  const overlapSamples = Math.round((overlapMs / 1000) * WHISPER_SAMPLE_RATE);
  const msAt = (sample: number) => (sample / WHISPER_SAMPLE_RATE) * 1000;
  const now = opts.now ?? (() => new Date());

  async function run(ctx: ProcessorContext): Promise<ProcessorOutput> {
    const { signal } = ctx;
    const started = performance.now();
    const binaries = resolveFfmpegBinaries(opts.ffmpeg);

    ctx.onProgress({ stage: 'probing' });
    const probe = await probeMedia(ctx.sourcePath, { signal, binaries });
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    if (!audio) {
      throw new ProcessingError(
        'NO_AUDIO_TRACK',
        `no audio track to transcribe in ${ctx.sourcePath}`,
        false,
      );
    }
    const durationS = audio.duration ?? probe.format.duration;
    const totalSamples =
      durationS && Number.isFinite(durationS) && durationS > 0
        ? durationS * WHISPER_SAMPLE_RATE
        : undefined;

    ctx.onProgress({ stage: 'loading_model' });
    const transcriber = await transcribers.acquire();
    if (signal.aborted) throw new ProcessingAbortedError(signal.reason);

    ctx.onProgress({ stage: 'transcribing', percent: 0 });
    let language = opts.language && opts.language !== 'auto' ? opts.language : undefined;
    const stitcher = new TranscriptStitcher();
    let doneSamples = 0;
    let windows = 0;
    let lastPercent = -1;
    const report = (samplesInFlight: number, fraction: number) => {
      if (!totalSamples) return;
      const percent = Math.min(
        99,
        Math.floor(((doneSamples + samplesInFlight * fraction) / totalSamples) * 100),
      );
      if (percent > lastPercent) {
        lastPercent = percent;
        ctx.onProgress({ stage: 'transcribing', percent });
      }
    };
    // The window slides by (window - overlap): `windowStart` is the absolute sample index of
    // window[0], `fresh` the samples no earlier window has heard.
    const window = new Float32Array(windowSamples);
    let windowStart = 0;
    let fill = 0;
    let fresh = 0;
    const flush = async () => {
      if (fresh < MIN_TAIL_SAMPLES) return;
      const span = { startMs: msAt(windowStart), endMs: msAt(windowStart + fill) };
      const inFlight = fresh;
      const prompt = stitcher.text(span.startMs).slice(-PROMPT_CHARS);
      const result = await transcriber.transcribe(window.subarray(0, fill), {
        language: language ?? 'auto',
        signal,
        wordTimestamps: true,
        ...(prompt ? { prompt } : {}),
        onProgress: (f) => report(inFlight, f),
      });
      windows++;
      stitcher.add(span, wordsOf(result, span));
      // Lock the language once speech was heard: later windows (music, silence) would otherwise
      // flip it, and skipping detection saves one encoder pass per window.
      if (result.text) language ??= result.language;
      doneSamples += inFlight;
      fresh = 0;
      report(0, 0);
    };

    try {
      for await (const chunk of decodePcm(ctx.sourcePath, {
        sampleRate: WHISPER_SAMPLE_RATE,
        channels: 1,
        signal,
        binaries,
      })) {
        let offset = 0;
        while (offset < chunk.length) {
          const n = Math.min(windowSamples - fill, chunk.length - offset);
          window.set(chunk.subarray(offset, offset + n), fill);
          fill += n;
          fresh += n;
          offset += n;
          if (fill === windowSamples) {
            await flush();
            window.copyWithin(0, windowSamples - overlapSamples, windowSamples);
            windowStart += windowSamples - overlapSamples;
            fill = overlapSamples;
          }
        }
      }
      await flush();
    } catch (err) {
      if (signal.aborted && !(err instanceof ProcessingAbortedError))
        throw new ProcessingAbortedError(signal.reason);
      throw err;
    }

    const text = stitcher.text().replace(/\s+/g, ' ').trim();
    const patch: TranscriptPatch = {
      status: 'DONE',
      text,
      text_preview: textPreview(text),
      language: language ?? null,
      updated_at: now().toISOString(),
    };
    ctx.onProgress({ stage: 'transcribing', percent: 100 });
    const elapsedMs = performance.now() - started;
    const audioMs = msAt(doneSamples + fresh);
    ctx.logger.info(
      {
        windows,
        audio_ms: Math.round(audioMs),
        elapsed_ms: Math.round(elapsedMs),
        model: transcriber.header.modelType,
      },
      'transcription done',
    );
    return {
      type: 'transcript',
      transcriptPatch: patch,
      ...(text ? {} : { warnings: ['no speech recognised'] }),
      metrics: {
        audio_duration_ms: Math.round(audioMs),
        processing_ms: Math.round(elapsedMs),
        real_time_factor: audioMs > 0 ? Number((elapsedMs / audioMs).toFixed(3)) : null,
        windows,
        engine: transcriber.engine,
        model_type: transcriber.header.modelType,
      },
    };
  }

  return {
    jobType: 'transcribe_audio',
    transcribers,
    run,
    close: () => transcribers.close(),
  };
}

/**
 * The window's words with absolute times. Engines that return no token timings get their words
 * spread evenly over the window (the stitcher then still avoids doubling whole words).
 */
function wordsOf(result: TranscribeResult, span: { startMs: number; endMs: number }): TimedWord[] {
  if (result.segments?.length) return wordsFromTokens(result.segments, span.startMs);
  const texts = result.text.split(/\s+/).filter(Boolean);
  const step = (span.endMs - span.startMs) / Math.max(1, texts.length);
  return texts.map((text, i) => ({
    text,
    startMs: span.startMs + i * step,
    endMs: span.startMs + (i + 1) * step,
  }));
}
