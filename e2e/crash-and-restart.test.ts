// Failures of the parts themselves: an agent killed with -9 mid-encode, and core-server
// restarted while an agent is uploading. Nothing is lost and no operator has to step in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFfmpegFixture } from '../scripts/demo-library.js';
import { join } from 'node:path';
import { videoWithTone } from '@retaia/protocol/testing/ffmpeg-fixture-args.js';
import { System, waitFor } from './support/system.js';
import { auditJobs, waitPublished } from './support/job-audit.js';
import { FaultProxy } from './support/fault-proxy.js';

function makeVideo(path: string, seconds: number, size: string) {
  return runFfmpegFixture([
    ...videoWithTone(
      `testsrc2=size=${size}:rate=25:duration=${seconds}`,
      `sine=duration=${seconds}`,
    ),
    path,
  ]);
}

test('kill -9 of a daemon mid-encode: its job returns after lease expiry and finishes on another agent', async () => {
  const sys = await System.start({ leaseTtlSeconds: 3 });
  try {
    await makeVideo(join(sys.inbox, 'long-take.mp4'), 20, '1920x1080');
    const a = await sys.spawnAgent('doomed', { maxParallelJobs: 1 });
    let killedAt = 0;
    await waitFor(
      async () => {
        const s = await a.control.status();
        return s.currentJobs.some((j) => j.jobType === 'generate_preview' && (j.percent ?? 0) > 3);
      },
      180_000,
      () => a.output().slice(-1500),
    );
    await a.kill9();
    killedAt = Date.now();
    await sys.spawnAgent('rescuer');
    const [asset] = await sys.waitSettled(1, 240_000);
    assert.equal(asset!.state, 'DECISION_PENDING');
    const store = sys.server.context.store;
    const preview = (await store.listAssetJobs(asset!.uuid)).find(
      (j) => j.job_type === 'generate_preview',
    )!;
    const claims = await store.listJobClaims(preview.job_id);
    console.log(
      `[e2e] kill -9: preview claims ${JSON.stringify(claims.map((c) => [c.fencing_token, c.outcome]))}; recovered ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    assert.equal(preview.status, 'completed');
    assert.ok(claims.length >= 2, 'claimed again after the kill');
    assert.equal(claims.at(-1)!.outcome, 'completed');
    assert.notEqual(claims.at(-1)!.agent_id, claims[0]!.agent_id);
    assert.ok(claims.at(-1)!.fencing_token > claims[0]!.fencing_token, 'higher fencing token');
    await waitPublished(sys, asset!.uuid, { preview_video: 1, thumb: 11, waveform: 1 });
  } finally {
    await sys.stop();
  }
});

test('core-server restarted mid-upload: the agent recovers without operator action, nothing lost', async () => {
  const sys = await System.start({ maxPartSizeBytes: 16 * 1024 });
  // A slow link (10 ms per chunk each way) stretches the upload so the restart lands inside it.
  const proxy = await new FaultProxy(sys.server.port, { delayMs: 10 }).start();
  try {
    await makeVideo(join(sys.inbox, 'upload-me.mp4'), 6, '1280x720');
    const agent = await sys.spawnAgent('uploader', { coreUrl: proxy.url });
    await waitFor(
      async () => {
        const s = await agent.control.status();
        return s.currentJobs.some(
          (j) => j.jobType === 'generate_preview' && j.stage === 'uploading',
        );
      },
      180_000,
      () => agent.output().slice(-1500),
    );
    const restartedAt = Date.now();
    await sys.restartServer(1500);
    const [asset] = await sys.waitSettled(1, 180_000);
    const audit = await auditJobs(sys);
    console.log(
      `[e2e] restart mid-upload: settled ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart; outcomes ${JSON.stringify(audit.outcomes)}`,
    );
    assert.equal(asset!.state, 'DECISION_PENDING');
    assert.equal(audit.completed, audit.jobs);
    await waitPublished(sys, asset!.uuid, { preview_video: 1, thumb: 11, waveform: 1 });
    assert.equal((await agent.control.status()).state, 'running');
  } finally {
    await proxy.stop();
    await sys.stop();
  }
});
