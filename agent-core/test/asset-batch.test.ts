// The agent against the REAL core-server: the review jobs of one video are claimed together and
// made by ONE ffmpeg run (a batch is one slot of max_parallel_jobs), each job still submitted on
// its own; when the storyboard output is broken, only the thumbnails job fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import { videoWithTone } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { waitFor } from '@retaia/protocol/testing/wait-for.js';
import { startDaemon } from '../src/runtime/daemon.js';
import { ControlClient } from '../src/runtime/control-client.js';
import { createProcessors, detectMediaCapabilities } from '../src/processing/registry.js';
import { resolveFfmpegBinaries, runFfmpeg } from '../src/processing/tools/ffmpeg.js';
import { skipNoCore, startRealCore } from './support/real-core.js';
import { REAL_CORE_DAEMON_TIMINGS } from './support/real-core-agent.js';

const options = { skip: skipNoCore, timeout: 300_000 };
const REVIEW: JobType[] = ['generate_preview', 'generate_thumbnails', 'generate_audio_waveform'];

/**
 * ffmpeg behind a script that logs each run's arguments; with `breakFd`, the output meant for
 * that descriptor (`pipe:N`) goes to /dev/null instead, so that output never arrives.
 */
function wrappedFfmpeg(root: string, breakFd?: number) {
  const log = join(root, 'ffmpeg-runs.log');
  const script = join(root, 'ffmpeg.sh');
  const rewrite =
    breakFd === undefined
      ? ''
      : `for a in "$@"; do shift; if [ "$a" = "pipe:${breakFd}" ]; then set -- "$@" /dev/null; else set -- "$@" "$a"; fi; done\n`;
  const real = resolveFfmpegBinaries();
  writeFileSync(script, `#!/bin/sh\n${rewrite}echo "$*" >> '${log}'\nexec '${real.ffmpeg}' "$@"\n`);
  chmodSync(script, 0o755);
  return {
    binaries: { ...real, ffmpeg: script },
    runs: () => readFileSync(log, 'utf8').trim().split('\n'),
  };
}

async function runAgentOnOneVideo(t: { after(fn: () => Promise<void>): void }, breakFd?: number) {
  const { core, root, storage } = await startRealCore(t, 'rai-batch-', { leaseTtlSeconds: 60 });
  const clip = join(root, 'clip.mp4');
  await runFfmpeg([...videoWithTone('testsrc2=d=4:s=640x360:r=25', 'sine=f=440:d=4'), clip]);
  const configPath = join(root, 'agent-config.json');
  // One slot: the batch of three review jobs must still be taken at once.
  await writeFile(
    configPath,
    JSON.stringify({
      core_url: core.url,
      storage_mounts: { 'nas-main': storage },
      max_parallel_jobs: 1,
    }),
  );
  await copyFile(clip, join(storage, 'INBOX', 'clip.mp4'));
  await waitFor(
    async () => {
      await core.scanNow();
      return (await core.operator.listAssets()).some((a) => a.state !== 'DISCOVERED');
    },
    { timeoutMs: 20_000, what: 'the asset discovered' },
  );
  const ffmpeg = wrappedFfmpeg(root, breakFd);
  const daemon = await startDaemon({
    configPath,
    dataDir: join(root, 'agent-data'),
    processors: createProcessors({ binaries: ffmpeg.binaries, videoEncoder: 'software' }),
    detectCapabilities: () => detectMediaCapabilities(),
    ...REAL_CORE_DAEMON_TIMINGS,
    logDestination: { write: () => true } as never,
  });
  t.after(() => daemon.stop());
  const control = new ControlClient(daemon.controlEndpoint);
  const view = await control.startEnrolment('batch agent');
  await core.operator.approveDevice(view.userCode!);
  const [asset] = await core.operator.listAssets();
  const jobs = () => core.context.store.listAssetJobs(asset!.uuid);
  await waitFor(
    async () => {
      const all = await jobs();
      return (
        REVIEW.every((type) => all.some((j) => j.job_type === type)) &&
        all.every((j) => j.status === 'completed' || j.status === 'failed')
      );
    },
    { timeoutMs: 120_000, what: 'every job of the asset finished' },
  );
  const byType = new Map((await jobs()).map((j) => [j.job_type, j]));
  return { byType, runs: ffmpeg.runs() };
}

/**
 * The shared pass among the runs, and no per-seek frame grab. Whether the waveform joins it
 * depends on the claim order: Core plans the waveform job only once the facts show audio, so if
 * the agent took preview + thumbnails before the facts, the waveform comes later on its own.
 */
function sharedRun(runs: string[]): string {
  const passes = runs.filter((r) => r.includes('-filter_complex'));
  assert.equal(passes.length, 1, `one shared pass:\n${runs.join('\n')}`);
  assert.match(passes[0]!, /\[pv\].*\[tv\]/, 'preview and storyboard in the same run');
  assert.ok(!runs.some((r) => r.includes('-frames:v')), 'no per-seek thumbnail grab');
  const alone = runs.filter((r) => r !== passes[0]);
  assert.ok(
    alone.every((r) => r.includes('pcm_f32le')) && alone.length <= 1,
    `only a later waveform runs alone:\n${alone.join('\n')}`,
  );
  return passes[0]!;
}

test(
  'the review jobs of one video: claimed together, one ffmpeg run, each submitted',
  options,
  async (t) => {
    const { byType, runs } = await runAgentOnOneVideo(t);
    for (const type of ['extract_facts', ...REVIEW] as JobType[])
      assert.equal(byType.get(type)?.status, 'completed', `${type} completed`);
    sharedRun(runs);
  },
);

test(
  'a broken storyboard output fails the thumbnails job only; preview and waveform are submitted',
  options,
  async (t) => {
    // In the shared pass descriptor 4 carries the storyboard frames.
    const { byType, runs } = await runAgentOnOneVideo(t, 4);
    assert.match(sharedRun(runs), /rawvideo \/dev\/null/);
    assert.equal(byType.get('generate_thumbnails')?.status, 'failed');
    assert.equal(byType.get('generate_thumbnails')?.last_error_code, 'NO_DECODABLE_STREAM');
    assert.equal(byType.get('generate_preview')?.status, 'completed');
    assert.equal(byType.get('generate_audio_waveform')?.status, 'completed');
  },
);
