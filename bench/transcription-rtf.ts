// Transcription bench (agent-core/src/processing/transcription):
//   real-time factor of the transcribe_audio processor (probe + ffmpeg decode + 30 s windows +
//   whisper.cpp) ÷ the whisper.cpp addon called directly on the same PCM with the same model.
// Model: RETAIA_WHISPER_MODEL=/path/ggml-base.bin for real numbers; otherwise a generated
// random-weight model (meaningless text, decode-step count varies, so only the ratio matters).
// Input: shared/media/speech/jfk.wav, or BENCH_AUDIO=/path/any-media.
// Run: npx tsx bench/transcription-rtf.ts   (BENCH_RUNS=3)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import type { ProcessorContext } from '../agent-core/src/processing/processor.js';
import { decodePcm } from '../agent-core/src/processing/tools/ffmpeg.js';
import { ModelStore } from '../agent-core/src/processing/transcription/model-store.js';
import { writeRandomWhisperModel } from '../agent-core/src/processing/transcription/testing/random-whisper-model.js';
import { createTranscriptionProcessor } from '../agent-core/src/processing/transcription/transcribe-audio-processor.js';
import {
  toPcm16,
  WHISPER_SAMPLE_RATE,
} from '../agent-core/src/processing/transcription/transcriber.js';
import {
  loadWhisperAddon,
  releaseNativeLog,
  retainNativeLog,
} from '../agent-core/src/processing/transcription/whisper-addon.js';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const loaded = loadWhisperAddon();
if (!loaded.addon) {
  console.log(`transcription-rtf: skipped, ${loaded.problem}`);
  process.exit(0);
}
const addon = loaded.addon;
const root = mkdtempSync(join(tmpdir(), 'retaia-bench-whisper-'));
try {
  const audio = process.env.BENCH_AUDIO ?? sharedMedia('speech/jfk.wav').path;
  if (!audio) throw new Error('no input: set BENCH_AUDIO or provide shared/media/speech/jfk.wav');
  let modelPath = process.env.RETAIA_WHISPER_MODEL;
  if (!modelPath) {
    modelPath = join(root, 'ggml-random.bin');
    await writeRandomWhisperModel(modelPath, { seed: 7 });
  }

  // Baseline: decode once up front (not timed), then time only the engine call.
  const parts: Float32Array[] = [];
  for await (const c of decodePcm(audio, { sampleRate: WHISPER_SAMPLE_RATE, channels: 1 }))
    parts.push(c);
  const pcm = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (pcm.set(p, o), o + p.length), 0);
  const audioS = pcm.length / WHISPER_SAMPLE_RATE;

  retainNativeLog(addon);
  const t0 = performance.now();
  const ctx = await new addon.WhisperContext({ filePath: modelPath, useGpu: false });
  const loadMs = performance.now() - t0;
  const direct: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await ctx.transcribeData(toPcm16(pcm).buffer as ArrayBuffer, {
      language: 'auto',
      maxThreads: threads,
    }).promise;
    direct.push((performance.now() - t) / 1000 / audioS);
  }
  await ctx.release();
  releaseNativeLog(addon);

  const store = new ModelStore({ dataDir: join(root, 'data') });
  await store.addModelFile(modelPath, { name: 'bench' });
  const processor = createTranscriptionProcessor({ modelStore: store, threads });
  const jobCtx: ProcessorContext = {
    jobId: 'bench',
    jobType: 'transcribe_audio',
    assetUuid: 'bench',
    sourcePath: audio,
    sidecarPaths: [],
    workDir: root,
    signal: new AbortController().signal,
    onProgress: () => {},
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
  await processor.transcribers.acquire(); // model load is reported separately, not in the RTF
  const ours: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await processor.run(jobCtx);
    ours.push((performance.now() - t) / 1000 / audioS);
  }
  await processor.close();

  const d = median(direct);
  const o = median(ours);
  console.log(
    JSON.stringify({
      bench: 'transcription-rtf',
      engine: addon.packageName,
      model: process.env.RETAIA_WHISPER_MODEL ?? 'generated random-weight tiny-shaped model',
      audio_s: Number(audioS.toFixed(2)),
      threads,
      runs,
      model_load_ms: Math.round(loadMs),
      engine_direct_rtf: Number(d.toFixed(3)),
      processor_rtf: Number(o.toFixed(3)),
      ratio_processor_vs_direct: Number((o / d).toFixed(3)),
    }),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
