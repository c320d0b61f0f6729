// kill -9 of a daemon process in the middle of a job: after the lease expires, a new daemon
// (same data dir: it also takes over the dead process's lock and socket) completes the job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ControlClient } from '../src/runtime/control-client.js';
import { FakeCore } from './support/fake-core.js';
import { makeDaemonFixture, waitFor } from './support/daemon-fixture.js';
import { spawnDaemon, stopChild } from './support/spawn-daemon.js';

const video = sharedMedia('video/sample-h264.mp4');

test(
  'kill -9 mid-job: the lease expires and a second daemon completes the job',
  { skip: video.skipReason },
  async (t) => {
    const core = await new FakeCore().start();
    core.deviceInterval = 0;
    core.leaseTtlMs = 1500;
    t.after(() => core.close());
    const fx = await makeDaemonFixture(core.url);
    const first = await spawnDaemon({
      configPath: fx.configPath,
      dataDir: fx.dataDir,
      delayMs: 60_000,
      heartbeatMs: 300,
    });
    t.after(() => void first.child.kill('SIGKILL'));
    const control = new ControlClient(first.endpoint);
    core.deviceApproved = true;
    await control.startEnrolment();
    await waitFor(
      async () => (await control.status()).state === 'running',
      30_000,
      'first daemon running',
    );
    const job = core.addJob({
      job_type: 'extract_facts',
      source: {
        storage_id: 'nas-main',
        original_relative: await fx.addMedia('clip.mp4', video.path),
      },
    });
    await waitFor(
      async () => (await control.jobs()).current.length === 1,
      20_000,
      'first daemon took the job',
    );
    const firstFencing = core.jobs.get(job.job_id)!.fencing;
    await stopChild(first.child, 'SIGKILL', first.output);

    const second = await spawnDaemon({
      configPath: fx.configPath,
      dataDir: fx.dataDir,
      delayMs: 0,
    });
    t.after(() => void second.child.kill('SIGKILL'));
    await waitFor(() => core.jobs.get(job.job_id)?.submitted, 30_000, 'second daemon submits');
    assert.ok(
      core.jobs.get(job.job_id)!.fencing > firstFencing,
      'reclaimed with a new fencing token',
    );
    const submitted = core.jobs.get(job.job_id)!.submitted as {
      result: { facts_patch: { video_codec?: string } };
    };
    assert.equal(submitted.result.facts_patch.video_codec, 'h264');
    await stopChild(second.child, 'SIGTERM', second.output);
  },
);
