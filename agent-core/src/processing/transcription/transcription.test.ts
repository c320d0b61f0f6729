// End to end on the real engine: generated random-weight ggml model → real whisper.cpp addon →
// real ffmpeg decode → processor output checked against the contract. The text is meaningless
// (random weights), so we assert shape, progress, abort and error classification, not words.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CAPABILITIES } from '@retaia/protocol';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import {
  ProcessingAbortedError,
  ProcessingError,
  type ProcessorContext,
  type ProcessorProgress,
} from '../processor.js';
import { decodePcm } from '../tools/ffmpeg.js';
import { readGgmlWhisperHeader } from './ggml-model-header.js';
import { ModelStore } from './model-store.js';
import { writeRandomWhisperModel } from './testing/random-whisper-model.js';
import { createTranscriptionProcessor } from './transcribe-audio-processor.js';
import { Transcriber, WHISPER_SAMPLE_RATE } from './transcriber.js';
import { TranscriberCache } from './transcriber-cache.js';
import { detectTranscriptionCapabilities } from './transcription-capabilities.js';
import { loadWhisperAddon } from './whisper-addon.js';

const addon = loadWhisperAddon();
const engineSkip = addon.addon ? false : `whisper.cpp addon not installed here: ${addon.problem}`;
const noEngine = () => ({ problem: 'engine deliberately absent in this test' }) as const;

function ctxFor(
  sourcePath: string,
  workDir: string,
  extra: Partial<ProcessorContext> = {},
): ProcessorContext & { stages: ProcessorProgress[] } {
  const stages: ProcessorProgress[] = [];
  return {
    jobId: 'job-transcribe',
    jobType: 'transcribe_audio',
    assetUuid: 'asset-1',
    sourcePath,
    sidecarPaths: [],
    workDir,
    signal: new AbortController().signal,
    onProgress: (p) => stages.push(p),
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    stages,
    ...extra,
  };
}

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

describe('transcription', () => {
  let dir: string;
  let modelPath: string;
  let speechPath: string;
  let store: ModelStore;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'retaia-transcribe-'));
    modelPath = join(dir, 'ggml-random.bin');
    await writeRandomWhisperModel(modelPath, { seed: 1 });
    const jfk = sharedMedia('speech/jfk.wav');
    if (jfk.path) {
      speechPath = jfk.path;
    } else {
      // No shared media: synthesize speech (or a tone when espeak-ng is absent too).
      speechPath = join(dir, 'speech.wav');
      try {
        execFileSync('espeak-ng', ['-w', speechPath, 'ask not what your country can do for you']);
      } catch {
        ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:duration=8', '-ar', '16000', speechPath);
      }
    }
    store = new ModelStore({ dataDir: join(dir, 'data') });
    await store.addModelFile(modelPath, { name: 'random' });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the generated random model has a valid ggml whisper header', async () => {
    const h = await readGgmlWhisperHeader(modelPath);
    assert.equal(h.nAudioLayer, 4);
    assert.equal(h.nAudioState, 64);
    assert.equal(h.nMels, 80);
    assert.equal(h.modelType, 'tiny');
  });

  test(
    'Transcriber loads the model once and transcribes decoded 16 kHz mono PCM',
    { skip: engineSkip },
    async () => {
      const parts: Float32Array[] = [];
      for await (const c of decodePcm(speechPath, { sampleRate: WHISPER_SAMPLE_RATE, channels: 1 }))
        parts.push(c);
      const pcm = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        pcm.set(p, o);
        o += p.length;
      }
      const t = await Transcriber.load({ modelPath, threads: 2 });
      try {
        assert.ok(t.loadMs > 0);
        assert.equal(t.engine, addon.addon?.packageName);
        const fractions: number[] = [];
        const r = await t.transcribe(pcm, {
          language: 'auto',
          onProgress: (f) => fractions.push(f),
        });
        assert.equal(typeof r.text, 'string');
        assert.ok(fractions.every((f) => f >= 0 && f <= 1));
        await assert.rejects(t.transcribe(pcm, { language: 'english!' }), /invalid language/);
      } finally {
        await t.close();
      }
      await assert.rejects(t.transcribe(pcm), /closed/);
    },
  );

  test(
    'an abort mid-window kills the whisper host at once; the next call runs on a fresh host',
    { skip: engineSkip },
    async () => {
      const t = await Transcriber.load({ modelPath, threads: 2 });
      try {
        const first = await t.enginePid();
        assert.ok(first, 'the real engine runs in a host child process');
        const noise = new Float32Array(WHISPER_SAMPLE_RATE * 30).map(
          () => Math.random() * 0.4 - 0.2,
        );
        const ac = new AbortController();
        const running = t.transcribe(noise, { signal: ac.signal });
        // Abort once the window is really computing (the host reports progress from inside it).
        await new Promise((r) => setTimeout(r, 1500));
        ac.abort('lease lost');
        await assert.rejects(running, ProcessingAbortedError);
        // SIGKILL is immediate; the exit is reaped on the next turns of the event loop.
        const alive = () => {
          try {
            process.kill(first, 0);
            return true;
          } catch {
            return false;
          }
        };
        for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.equal(alive(), false, 'the host computing the window is gone');
        // With the engine's own stop() this call never settled (the stopped window kept the
        // model); a fresh host must answer it.
        const next = await t.transcribe(noise.subarray(0, WHISPER_SAMPLE_RATE * 2));
        assert.equal(typeof next.text, 'string');
        const second = await t.enginePid();
        assert.ok(second && second !== first);
      } finally {
        await t.close();
      }
    },
  );

  test(
    'processor: windowed transcription of speech → contract-valid transcript patch',
    { skip: engineSkip },
    async () => {
      const processor = createTranscriptionProcessor({
        modelStore: store,
        threads: 2,
        windowMs: 5_000,
        overlapMs: 1_000,
        now: () => new Date('2026-01-02T03:04:05.000Z'),
      });
      try {
        const ctx = ctxFor(speechPath, dir);
        const out = await processor.run(ctx);
        assert.equal(out.type, 'transcript');
        if (out.type !== 'transcript') return;
        const patch = out.transcriptPatch;
        assert.deepEqual(loadContractValidator().schemaErrors('TranscriptPatch', patch), []);
        assert.equal(patch.status, 'DONE');
        assert.equal(patch.updated_at, '2026-01-02T03:04:05.000Z');
        assert.equal(typeof patch.text, 'string');
        assert.ok((patch.text_preview ?? '').length <= 200);
        assert.ok(patch.language === null || /^[a-z]{2,3}$/.test(patch.language ?? ''));
        // jfk.wav is 11 s: three 5 s windows sliding by 4 s (the espeak/sine fallback is shorter).
        assert.ok(Number(out.metrics?.windows) >= (speechPath.endsWith('jfk.wav') ? 3 : 1));
        const stageNames = [...new Set(ctx.stages.map((s) => s.stage))];
        assert.deepEqual(stageNames, ['probing', 'loading_model', 'transcribing']);
        const percents = ctx.stages.flatMap((s) => (s.percent === undefined ? [] : [s.percent]));
        assert.deepEqual(
          percents,
          [...percents].sort((a, b) => a - b),
          'progress never goes back',
        );
        assert.equal(percents.at(-1), 100);
      } finally {
        await processor.close();
      }
    },
  );

  test(
    'processor: abort stops a long transcription promptly with ProcessingAbortedError',
    { skip: engineSkip },
    async () => {
      const long = join(dir, 'long.wav');
      ffmpeg('-f', 'lavfi', '-i', 'anoisesrc=d=180:c=pink:a=0.2', '-ar', '16000', '-ac', '1', long);
      const processor = createTranscriptionProcessor({ modelStore: store, threads: 2 });
      const ac = new AbortController();
      const ctx = ctxFor(long, dir, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.stage === 'transcribing') ac.abort('lease lost');
        },
      });
      try {
        await assert.rejects(processor.run(ctx), ProcessingAbortedError);
      } finally {
        // Waits for the native call to notice the stop flag, then frees the model.
        await processor.close();
      }
    },
  );

  test('processor: a file without audio fails non-retryably with NO_AUDIO_TRACK', async () => {
    const video = join(dir, 'silent-video.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=1', '-c:v', 'mpeg4', video);
    const processor = createTranscriptionProcessor({ modelStore: store, loadAddon: noEngine });
    await assert.rejects(processor.run(ctxFor(video, dir)), (err: unknown) => {
      assert.ok(err instanceof ProcessingError);
      assert.equal(err.code, 'NO_AUDIO_TRACK');
      assert.equal(err.retryable, false);
      return true;
    });
  });

  test('processor: missing engine or missing model fail retryably', async () => {
    const noAddon = createTranscriptionProcessor({ modelStore: store, loadAddon: noEngine });
    await assert.rejects(noAddon.run(ctxFor(speechPath, dir)), (err: unknown) => {
      assert.ok(err instanceof ProcessingError);
      assert.equal(err.code, 'ENGINE_UNAVAILABLE');
      assert.equal(err.retryable, true);
      return true;
    });
    const empty = new ModelStore({ dataDir: join(dir, 'empty') });
    const noModel = createTranscriptionProcessor({ modelStore: empty });
    await assert.rejects(noModel.run(ctxFor(speechPath, dir)), (err: unknown) => {
      assert.ok(err instanceof ProcessingError);
      assert.equal(err.code, 'MODEL_MISSING');
      assert.equal(err.retryable, true);
      assert.match(err.message, /no whisper model installed/);
      return true;
    });
  });

  test(
    'capabilities: declared while the model loads, withdrawn once it is removed',
    { skip: engineSkip },
    async () => {
      const own = new ModelStore({ dataDir: join(dir, 'caps') });
      await own.addModelFile(modelPath, { name: 'random' });
      const transcribers = new TranscriberCache({ modelStore: own });
      try {
        const on = await detectTranscriptionCapabilities({ modelStore: own, transcribers });
        assert.deepEqual(on, {
          capabilities: [CAPABILITIES.transcription, CAPABILITIES.transcriptionWhisperCpp],
          problems: [],
        });
        await own.removeModel('random');
        assert.ok(existsSync(modelPath), 'an imported model file is left in place');
        const off = await detectTranscriptionCapabilities({ modelStore: own, transcribers });
        assert.deepEqual(off.capabilities, []);
        assert.match(off.problems.join('\n'), /no whisper model installed/);
      } finally {
        await transcribers.close();
      }
    },
  );

  test('capabilities: none without the engine, with the reason', async () => {
    const noAddon = await detectTranscriptionCapabilities({
      modelStore: store,
      loadAddon: noEngine,
    });
    assert.deepEqual(noAddon.capabilities, []);
    assert.match(noAddon.problems.join('\n'), /engine deliberately absent/);
  });
});
