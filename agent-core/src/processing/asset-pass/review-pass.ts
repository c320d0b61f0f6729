// One decode for the review jobs of a video asset (docs/media-engine.md, "One decode per asset").
// The agent claims generate_preview, generate_thumbnails and generate_audio_waveform of the same
// asset together; this runs ONE ffmpeg over the source whose graph splits the decoded video into
// the preview encode and the storyboard picker (pass-thumbnails.ts), and sends the audio both to
// the preview's AAC and, as mono float PCM, to the waveform's peak builder. Each job still gets
// its own output and its own failure: a member whose output cannot be finished (its folder is
// gone, its WebP will not encode) fails alone, and an aborted member stops waiting at once while
// the others go on. ffmpeg is killed only when every member has aborted. The preview is written
// in a pass folder and moved into its job's folder at the end, so an aborted preview job's
// folder can be removed while ffmpeg still runs; the pass folder is always removed.
//
// What the pass cannot serve runs alone, as before: non-video sources, a waveform of a file that
// looks truncated (its readable length is measured first), Windows (no extra descriptors).
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import { looksTruncated } from '../facts/probe-facts.js';
import { isMotionVideo } from '../media-kind.js';
import type { GeneratePreviewProcessor, PreviewOptions } from '../preview/generate-preview.js';
import {
  PREVIEW_MP4_ARGS,
  PREVIEW_STRIP_ARGS,
  videoPreviewParts,
} from '../preview/video-preview-args.js';
import type { VideoEncoderChoice, VideoEncoderName } from '../preview/video-encoder.js';
import {
  ProcessingAbortedError,
  ProcessingError,
  type Processor,
  type ProcessorContext,
  type ProcessorOutput,
} from '../processor.js';
import { binariesFor } from '../processor-options.js';
import { renderStoryboard } from '../thumbnails/generate-thumbnails.js';
import { storyboardPlan } from '../thumbnails/thumbnail-plan.js';
import { Float32Aligner } from '../tools/ffmpeg-decode.js';
import { ffmpegFailure, followProgress, spawnFfmpeg } from '../tools/ffmpeg-run.js';
import { assertReadableMediaFile, probeMedia, sourceInputArgs } from '../tools/ffmpeg.js';
import type { ProbeResult } from '../tools/ffmpeg.js';
import { toneMapFilters } from '../tools/hdr.js';
import { PeakWaveformBuilder } from '../waveform/peak-waveform-builder.js';
import {
  WAVEFORM_PROFILE,
  waveformDecodeRate,
  writeWaveform,
} from '../waveform/generate-waveform.js';
import { StoryboardCollector } from './pass-thumbnails.js';
import type { PassJobType } from './pass-registry.js';

type Members = ReadonlyMap<PassJobType, ProcessorContext>;
type Outcome = { ok: true; output: ProcessorOutput } | { ok: false; error: unknown };

/** What one ffmpeg run produced for the members it served. */
interface PassProducts {
  previewFile?: string;
  storyboard?: StoryboardCollector;
  waveform?: { builder: PeakWaveformBuilder; durationS: number; rate: number };
  encoder?: VideoEncoderName;
  fps?: string;
  hasAudio?: boolean;
}

/** Rejects with ProcessingAbortedError as soon as `signal` aborts. */
function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new ProcessingAbortedError(signal.reason));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

export class ReviewPass {
  constructor(
    private readonly opts: PreviewOptions,
    private readonly preview: GeneratePreviewProcessor,
    private readonly processors: ReadonlyMap<JobType, Processor>,
  ) {}

  /** Starts the pass; one promise per member, settled independently. */
  run(members: Members): Map<PassJobType, Promise<ProcessorOutput>> {
    const outcomes = this.execute(members);
    const out = new Map<PassJobType, Promise<ProcessorOutput>>();
    for (const [type, ctx] of members) {
      const mine = outcomes.then((all) => {
        const o = all.get(type)!;
        if (o.ok) return o.output;
        throw o.error;
      });
      // An aborted member stops waiting at once; the pass goes on for the others.
      const settled = Promise.race([mine, whenAborted(ctx.signal)]);
      mine.catch(() => undefined);
      out.set(type, settled);
    }
    return out;
  }

  private async execute(members: Members): Promise<Map<PassJobType, Outcome>> {
    const contexts = [...members.values()];
    // The pass (probe, ffmpeg) stops only once nobody waits for it any more.
    const passAbort = new AbortController();
    const onAbort = () => {
      if (contexts.every((c) => c.signal.aborted)) passAbort.abort(contexts[0]!.signal.reason);
    };
    for (const c of contexts) c.signal.addEventListener('abort', onAbort, { once: true });
    onAbort();
    try {
      return await this.plan(members, passAbort.signal);
    } finally {
      for (const c of contexts) c.signal.removeEventListener('abort', onAbort);
    }
  }

  private alone(type: PassJobType, ctx: ProcessorContext): Promise<Outcome> {
    return this.processors
      .get(type)!
      .run(ctx)
      .then(
        (output): Outcome => ({ ok: true, output }),
        (error: unknown): Outcome => ({ ok: false, error }),
      );
  }

  private async allAlone(members: Members): Promise<Map<PassJobType, Outcome>> {
    const entries = await Promise.all(
      [...members].map(async ([t, c]) => [t, await this.alone(t, c)] as const),
    );
    return new Map(entries);
  }

  private async plan(members: Members, signal: AbortSignal): Promise<Map<PassJobType, Outcome>> {
    const first = [...members.values()][0]!;
    const source = first.sourcePath;
    if (
      process.platform === 'win32' ||
      members.size < 2 ||
      [...members.values()].some((c) => c.sourcePath !== source)
    )
      return this.allAlone(members);
    let probe: ProbeResult;
    let sizeBytes: number;
    const binaries = binariesFor(this.opts);
    try {
      ({ sizeBytes } = assertReadableMediaFile(source));
      for (const c of members.values()) c.onProgress({ stage: 'probing' });
      probe = await probeMedia(source, { signal, binaries });
    } catch (error) {
      return new Map([...members.keys()].map((t) => [t, { ok: false, error }]));
    }
    const video = probe.streams.find(isMotionVideo);
    const audio = probe.streams.find((s) => s.codec_type === 'audio');
    const durationS = probe.format.duration ?? video?.duration;
    // What the pass can serve; anything else runs alone (and fails or succeeds as it always did).
    const served = new Map<PassJobType, ProcessorContext>();
    const alone = new Map<PassJobType, ProcessorContext>();
    for (const [type, ctx] of members) {
      const ok =
        video !== undefined &&
        (type === 'generate_preview' ||
          (type === 'generate_thumbnails' && Boolean(durationS && durationS > 0)) ||
          (type === 'generate_audio_waveform' &&
            audio !== undefined &&
            Boolean(durationS && durationS > 0) &&
            !looksTruncated(probe, sizeBytes)));
      (ok ? served : alone).set(type, ctx);
    }
    if (served.size < 2) return this.allAlone(members);
    const [passed, lone] = await Promise.all([
      this.serve(served, probe, signal),
      this.allAlone(alone),
    ]);
    return new Map([...passed, ...lone]);
  }

  private async serve(
    members: Members,
    probe: ProbeResult,
    signal: AbortSignal,
  ): Promise<Map<PassJobType, Outcome>> {
    const started = Date.now();
    const previewCtx = members.get('generate_preview');
    const passDir = await mkdtemp(join(dirname([...members.values()][0]!.workDir), 'retaia-pass-'));
    const warnings: string[] = [];
    let products: PassProducts;
    try {
      try {
        let choice: VideoEncoderChoice | undefined = previewCtx
          ? await this.preview.videoEncoder()
          : undefined;
        try {
          products = await this.once(members, probe, passDir, choice?.encoder, signal);
        } catch (err) {
          // Only a hardware encoder gets a second chance (the whole pass runs again on libx264).
          if (!choice?.hardware || signal.aborted) throw err;
          choice = this.preview.hardwareFailed(choice.encoder, (err as Error).message);
          previewCtx!.logger.warn({ reason: choice.reason }, 'hardware encode failed');
          warnings.push(choice.reason);
          products = await this.once(members, probe, passDir, choice.encoder, signal);
        }
      } catch (error) {
        return new Map([...members.keys()].map((t) => [t, { ok: false, error }]));
      }
      const outcomes = new Map<PassJobType, Outcome>();
      for (const [type, ctx] of members) {
        if (ctx.signal.aborted) {
          outcomes.set(type, { ok: false, error: new ProcessingAbortedError(ctx.signal.reason) });
          continue;
        }
        try {
          const output = await this.finish(type, ctx, products, started);
          if (type === 'generate_preview' && warnings.length) output.warnings = warnings;
          outcomes.set(type, { ok: true, output });
        } catch (error) {
          ctx.logger.warn({ error: (error as Error).message }, 'output of the shared pass failed');
          outcomes.set(type, { ok: false, error });
        }
      }
      return outcomes;
    } finally {
      await rm(passDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Turns the pass's products into one member's output, in that member's folder. */
  private async finish(
    type: PassJobType,
    ctx: ProcessorContext,
    p: PassProducts,
    started: number,
  ): Promise<ProcessorOutput> {
    const metrics = { elapsed_ms: Date.now() - started, shared_pass: true };
    switch (type) {
      case 'generate_preview': {
        const path = join(ctx.workDir, 'preview.mp4');
        await rename(p.previewFile!, path);
        ctx.onProgress({ stage: 'encoding', percent: 100 });
        return {
          type: 'derived',
          files: [{ kind: 'preview_video', path, contentType: 'video/mp4' }],
          metrics: {
            ...metrics,
            has_audio: p.hasAudio ?? false,
            encoder: p.encoder,
            ...(p.fps ? { fps: p.fps } : {}),
          },
        };
      }
      case 'generate_thumbnails': {
        const chosen = p.storyboard!.result();
        if (!chosen)
          throw new ProcessingError(
            'NO_DECODABLE_STREAM',
            `no decodable video frame in ${ctx.sourcePath}`,
            false,
          );
        const output = await renderStoryboard(ctx, chosen, started);
        output.metrics = { ...output.metrics, shared_pass: true };
        return output;
      }
      case 'generate_audio_waveform': {
        const { builder, durationS, rate } = p.waveform!;
        const output = await writeWaveform(ctx, builder, { durationS, rate, started });
        output.metrics = { ...output.metrics, shared_pass: true };
        return output;
      }
    }
  }

  /** One ffmpeg run over the source for every served member. */
  private async once(
    members: Members,
    probe: ProbeResult,
    passDir: string,
    encoder: VideoEncoderName | undefined,
    signal: AbortSignal,
  ): Promise<PassProducts> {
    const source = [...members.values()][0]!.sourcePath;
    const video = probe.streams.find(isMotionVideo)!;
    const durationS = probe.format.duration ?? video.duration ?? 0;
    const products: PassProducts = {};
    const graph: string[] = [];
    const outputs: string[] = [];
    const pre: string[] = [];
    const branches: { label: string; filters: string[] }[] = [];
    let nextFd = 4;

    const previewCtx = members.get('generate_preview');
    if (previewCtx) {
      const parts = videoPreviewParts(probe, {
        ...(this.opts.x264Preset ? { preset: this.opts.x264Preset } : {}),
        ...(encoder ? { encoder } : {}),
      });
      products.previewFile = join(passDir, 'preview.mp4');
      products.encoder = encoder ?? 'libx264';
      products.hasAudio = Boolean(parts.audioArgs);
      if (parts.fps) products.fps = parts.fps;
      pre.push(...parts.inputArgs);
      branches.push({ label: 'pv', filters: parts.filters });
      outputs.push('-map', '[pv]');
      if (parts.audioArgs) outputs.push('-map', '0:a:0');
      outputs.push(...PREVIEW_STRIP_ARGS, ...parts.videoArgs, ...(parts.audioArgs ?? []));
      outputs.push(...PREVIEW_MP4_ARGS, products.previewFile);
    }
    let thumbsFd: number | undefined;
    if (members.has('generate_thumbnails')) {
      products.storyboard = new StoryboardCollector(storyboardPlan(Math.round(durationS * 1000)));
      branches.push({ label: 'tv', filters: products.storyboard.filters(toneMapFilters(video)) });
      thumbsFd = nextFd++;
      outputs.push('-map', '[tv]', '-an', '-sn', '-dn', '-c:v', 'rawvideo', '-f', 'rawvideo');
      outputs.push(`pipe:${thumbsFd}`);
    }
    let pcmFd: number | undefined;
    if (members.has('generate_audio_waveform')) {
      const audio = probe.streams.find((s) => s.codec_type === 'audio')!;
      const rate = waveformDecodeRate(audio);
      // The waveform's duration as the waveform processor reads it.
      const audioS = probe.format.duration ?? audio.duration ?? durationS;
      const expected = Math.max(1, Math.round(audioS * rate));
      products.waveform = {
        builder: new PeakWaveformBuilder(WAVEFORM_PROFILE.bucketCount, expected),
        durationS: audioS,
        rate,
      };
      pcmFd = nextFd++;
      outputs.push('-map', '0:a:0', '-vn', '-sn', '-dn', '-ac', '1', '-ar', String(rate));
      outputs.push('-flush_packets', '0', '-c:a', 'pcm_f32le', '-f', 'f32le', `pipe:${pcmFd}`);
    }
    if (branches.length === 2)
      graph.push(`[0:v:0]split=2[${branches[0]!.label}in][${branches[1]!.label}in]`);
    for (const b of branches) {
      const input = branches.length === 2 ? `[${b.label}in]` : '[0:v:0]';
      graph.push(`${input}${b.filters.join(',')}[${b.label}]`);
    }

    const args = [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-progress',
      'pipe:1',
      '-nostats',
      // The storyboard output gets only the selected frames, as they are (no CFR padding);
      // the preview branch is made CFR by its own fps filter.
      '-vsync',
      'passthrough',
      ...pre,
      ...sourceInputArgs(source),
      ...(graph.length ? ['-filter_complex', graph.join(';')] : []),
      ...outputs,
    ];
    for (const c of members.values()) c.logger.debug({ ffmpeg_args: args }, 'shared pass starting');
    const proc = spawnFfmpeg(binariesFor(this.opts), args, {
      signal,
      source,
      extraPipes: nextFd - 4,
    });
    const stageOf: Record<PassJobType, string> = {
      generate_preview: 'encoding',
      generate_thumbnails: 'thumbnails',
      generate_audio_waveform: 'waveform',
    };
    let lastPct = -1;
    followProgress(proc, durationS * 1000, ({ percent }) => {
      const pct = percent === undefined ? undefined : Math.min(99, Math.floor(percent));
      if (pct === undefined || pct === lastPct) return;
      lastPct = pct;
      for (const [type, ctx] of members)
        if (!ctx.signal.aborted) ctx.onProgress({ stage: stageOf[type], percent: pct });
    });
    const { storyboard, waveform } = products;
    if (storyboard && thumbsFd !== undefined) {
      proc.child.stderr?.on('data', (s: string) => storyboard.onStderr(s));
      proc.child.stdio[thumbsFd]!.on('data', (b: Buffer) => storyboard.onFrames(b));
    }
    if (waveform && pcmFd !== undefined) {
      const aligner = new Float32Aligner();
      proc.child.stdio[pcmFd]!.on('data', (b: Buffer) => {
        const samples = aligner.push(b);
        if (samples) waveform.builder.push(samples);
      });
    }
    const result = await proc.exited;
    if (signal.aborted) throw new ProcessingAbortedError(signal.reason);
    if (result.code !== 0) throw ffmpegFailure(result, proc.stderrTail(), source);
    // The last frames' times may arrive after their bytes: flush what is left.
    storyboard?.onStderr('\n');
    return products;
  }
}
