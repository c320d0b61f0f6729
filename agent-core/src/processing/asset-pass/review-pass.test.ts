// The shared pass against real ffmpeg on generated clips: one ffmpeg run for preview, storyboard
// and waveform, the same storyboard choice (black frames avoided) as the per-seek path, and
// failures and aborts that stay with their own job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lavfi, videoWithTone, X264_FAST } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { waitFor } from '@retaia/protocol/testing/wait-for.js';
import { ProcessingAbortedError, ProcessingError, type ProcessorOutput } from '../processor.js';
import { createProcessors } from '../registry.js';
import { ffprobeJson, testContext } from '../testing/conformance.js';
import { resolveFfmpegBinaries, runFfmpeg, type FfmpegBinaries } from '../tools/ffmpeg.js';
import { passOf, type PassJobType } from './pass-registry.js';

const root = mkdtempSync(join(tmpdir(), 'retaia-pass-test-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const real = resolveFfmpegBinaries();

/** ffmpeg behind a script that logs each run's pid and arguments (then execs the real one). */
function countingBinaries(name: string): { binaries: FfmpegBinaries; runs(): string[][] } {
  const log = join(root, `${name}.log`);
  const script = join(root, `${name}-ffmpeg.sh`);
  writeFileSync(script, `#!/bin/sh\necho "$$ $*" >> '${log}'\nexec '${real.ffmpeg}' "$@"\n`);
  chmodSync(script, 0o755);
  return {
    binaries: { ...real, ffmpeg: script },
    runs: () => {
      try {
        return readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(' '));
      } catch {
        return [];
      }
    },
  };
}

async function clip(name: string, args: string[]): Promise<string> {
  const path = join(root, name);
  await runFfmpeg([...args, path]);
  return path;
}

// 8 s with black stretches over two planned storyboard times (1.0 s, the representative, and 3.6 s).
const blackAt = "drawbox=t=fill:c=black:enable='between(t,0.9,1.3)+between(t,3.5,3.7)'";
const withBlack = clip(
  'black-stretches.mp4',
  videoWithTone(`testsrc2=d=8:s=640x360:r=25,${blackAt}`, 'sine=f=440:d=8'),
);
const longer = clip('longer.mp4', videoWithTone('testsrc2=d=12:s=960x540:r=30', 'sine=f=330:d=12'));
const silent = clip('no-audio.mp4', [...lavfi('testsrc2=d=4:s=640x360:r=25'), ...X264_FAST]);

let n = 0;
function members(
  source: string,
  types: PassJobType[],
  signals: Partial<Record<PassJobType, AbortSignal>> = {},
) {
  const parent = join(root, `batch-${n++}`);
  mkdirSync(parent);
  return {
    parent,
    members: new Map(
      types.map((t) => {
        const workDir = join(parent, t);
        mkdirSync(workDir);
        const extra = {
          jobType: t,
          mediaType: 'VIDEO' as const,
          ...(signals[t] ? { signal: signals[t] } : {}),
        };
        return [t, testContext(source, workDir, extra)] as const;
      }),
    ),
  };
}

const ALL: PassJobType[] = ['generate_preview', 'generate_thumbnails', 'generate_audio_waveform'];

async function settle(results: Map<PassJobType, Promise<ProcessorOutput>>) {
  const out = new Map<PassJobType, PromiseSettledResult<ProcessorOutput>>();
  for (const [t, p] of results) out.set(t, (await Promise.allSettled([p]))[0]!);
  return out;
}

function derived(r: PromiseSettledResult<ProcessorOutput> | undefined) {
  assert.equal(r?.status, 'fulfilled', r?.status === 'rejected' ? String(r.reason) : '');
  const out = (r as PromiseFulfilledResult<ProcessorOutput>).value;
  assert.equal(out.type, 'derived');
  if (out.type !== 'derived') throw new Error('unreachable');
  return out;
}

test('one ffmpeg run makes the preview, the storyboard and the waveform', async () => {
  const source = await withBlack;
  const counting = countingBinaries('one-run');
  const processors = createProcessors({ binaries: counting.binaries, videoEncoder: 'software' });
  const pass = passOf(processors.get('generate_preview'))!;
  const { parent, members: m } = members(source, ALL);
  const results = await settle(pass.run(m));

  assert.equal(counting.runs().length, 1, 'a single ffmpeg process for the three jobs');
  const preview = derived(results.get('generate_preview'));
  const probed = ffprobeJson(preview.files[0]!.path);
  const v = probed.streams.find((s) => s.codec_type === 'video')!;
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.height, 360);
  assert.ok(probed.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac'));
  assert.ok(Math.abs(Number(probed.format.duration) - 8) < 0.2, probed.format.duration);

  // The storyboard is the one the per-seek path picks, black frames avoided the same way.
  const thumbs = derived(results.get('generate_thumbnails'));
  assert.equal(thumbs.files.length, 11);
  const alone = members(source, ['generate_thumbnails', 'generate_audio_waveform']).members;
  const seek = await processors.get('generate_thumbnails')!.run(alone.get('generate_thumbnails')!);
  const ms = (o: ProcessorOutput) => (o.metrics as { storyboard_ms: number[] }).storyboard_ms;
  assert.deepEqual(ms(thumbs), ms(seek));
  assert.notEqual((thumbs.metrics as { representative_ms: number }).representative_ms, 1000);

  const wave = derived(results.get('generate_audio_waveform'));
  const body = JSON.parse(readFileSync(wave.files[0]!.path, 'utf8'));
  const own = await processors
    .get('generate_audio_waveform')!
    .run(alone.get('generate_audio_waveform')!);
  const ownBody = JSON.parse(
    readFileSync((own as { files: { path: string }[] }).files[0]!.path, 'utf8'),
  );
  assert.equal(body.bucket_count, 1000);
  assert.equal(body.duration_ms, ownBody.duration_ms);
  const diff = Math.max(
    ...body.samples.map((s: number, i: number) => Math.abs(s - ownBody.samples[i])),
  );
  assert.ok(diff < 0.01, `waveform differs from the separate decode by ${diff}`);
  assert.ok(Math.max(...body.samples) > 0.08, 'the tone (lavfi sine: amplitude 1/8) is there');
  assert.deepEqual(readdirSync(parent).sort(), [...ALL].sort(), 'no pass folder left behind');
});

test('a thumbnail output that fails fails only the thumbnails job', async () => {
  const source = await withBlack;
  const processors = createProcessors({ videoEncoder: 'software' });
  const { parent, members: m } = members(source, ALL);
  // Its folder disappears: the WebPs cannot be written.
  rmSync(m.get('generate_thumbnails')!.workDir, { recursive: true });
  const results = await settle(passOf(processors.get('generate_preview'))!.run(m));
  const thumbs = results.get('generate_thumbnails')!;
  assert.equal(thumbs.status, 'rejected');
  derived(results.get('generate_preview'));
  derived(results.get('generate_audio_waveform'));
  assert.deepEqual(
    readdirSync(parent).sort(),
    ['generate_audio_waveform', 'generate_preview'],
    'no pass folder left behind',
  );
});

test('a video without audio: the waveform fails alone, preview and storyboard share a run', async () => {
  const source = await silent;
  const counting = countingBinaries('silent');
  const processors = createProcessors({ binaries: counting.binaries, videoEncoder: 'software' });
  const { members: m } = members(source, ALL);
  const results = await settle(passOf(processors.get('generate_preview'))!.run(m));
  const wave = results.get('generate_audio_waveform')!;
  assert.equal(wave.status, 'rejected');
  assert.ok((wave as PromiseRejectedResult).reason instanceof ProcessingError);
  assert.equal(
    ((wave as PromiseRejectedResult).reason as ProcessingError).code,
    'NO_DECODABLE_STREAM',
  );
  derived(results.get('generate_preview'));
  assert.equal(derived(results.get('generate_thumbnails')).files.length, 11);
  assert.equal(counting.runs().length, 1, 'one ffmpeg for preview + storyboard');
});

test('an aborted member stops waiting at once; ffmpeg goes on for the others', async () => {
  const source = await longer;
  const processors = createProcessors({ videoEncoder: 'software' });
  const thumbsAbort = new AbortController();
  const { members: m } = members(source, ALL, { generate_thumbnails: thumbsAbort.signal });
  const preview = m.get('generate_preview')!;
  const onProgress = preview.onProgress;
  preview.onProgress = (p) => {
    onProgress(p);
    if ((p.percent ?? 0) > 0 && !thumbsAbort.signal.aborted)
      thumbsAbort.abort(new Error('lease lost'));
  };
  const results = passOf(processors.get('generate_preview'))!.run(m);
  let previewDone = false;
  void results.get('generate_preview')!.then(
    () => (previewDone = true),
    () => undefined,
  );
  await assert.rejects(results.get('generate_thumbnails')!, ProcessingAbortedError);
  assert.equal(previewDone, false, 'the aborted job did not wait for the pass');
  const settled = await settle(results);
  const out = derived(settled.get('generate_preview'));
  assert.ok(Math.abs(Number(ffprobeJson(out.files[0]!.path).format.duration) - 12) < 0.3);
  derived(settled.get('generate_audio_waveform'));
});

test('when every member aborts, ffmpeg is killed and nothing is left behind', async () => {
  const source = await longer;
  const counting = countingBinaries('abort-all');
  const processors = createProcessors({ binaries: counting.binaries, videoEncoder: 'software' });
  const abort = new AbortController();
  const { parent, members: m } = members(source, ['generate_preview', 'generate_thumbnails'], {
    generate_preview: abort.signal,
    generate_thumbnails: abort.signal,
  });
  const preview = m.get('generate_preview')!;
  preview.onProgress = (p) => {
    if ((p.percent ?? 0) > 0) abort.abort(new Error('agent stopping'));
  };
  const results = await settle(passOf(processors.get('generate_preview'))!.run(m));
  for (const r of results.values()) {
    assert.equal(r.status, 'rejected');
    assert.ok((r as PromiseRejectedResult).reason instanceof ProcessingAbortedError);
  }
  const pid = Number(counting.runs()[0]![0]);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(() => !alive(), {
    timeoutMs: 10_000,
    what: 'ffmpeg gone after every member aborted',
  });
  await waitFor(() => readdirSync(parent).every((f) => !f.startsWith('retaia-pass-')), {
    timeoutMs: 10_000,
    what: 'pass folder removed',
  });
});
