// extract_facts end to end through the daemon loop with the real processor from the registry
// (real ffprobe/exifr on the project's sample media), against the in-process fake Core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { startDaemon } from '../src/runtime/daemon.js';
import { ControlClient } from '../src/runtime/control-client.js';
import { createProcessors, detectMediaCapabilities } from '../src/processing/registry.js';
import { FakeCore } from './support/fake-core.js';
import { makeDaemonFixture, waitFor } from './support/daemon-fixture.js';

const video = sharedMedia('video/sample-h264.mp4');
const photo = sharedMedia('photo/gps-DSCN0010.jpg');
const corrupt = sharedMedia('photo/corrupted.jpg');
const skip = video.skipReason ?? photo.skipReason ?? corrupt.skipReason;

test(
  'extract_facts: real facts for real files are submitted; a corrupt file fails non-retryable',
  { skip },
  async (t) => {
    const core = await new FakeCore().start();
    core.deviceInterval = 0;
    const fx = await makeDaemonFixture(core.url);
    const daemon = await startDaemon({
      configPath: fx.configPath,
      dataDir: fx.dataDir,
      processors: createProcessors(),
      detectCapabilities: () => detectMediaCapabilities(),
      intervals: {
        pollMs: 50,
        policyMs: 500,
        heartbeatMs: 1000,
        reconnectMs: 50,
        enrolPollMinMs: 20,
      },
      backoff: { baseMs: 5, capMs: 50 },
      logDestination: fx.logDestination,
      secretStore: 'file',
    });
    t.after(async () => {
      await daemon.stop();
      await core.close();
    });
    const control = new ControlClient(daemon.controlEndpoint);
    core.deviceApproved = true;
    await control.startEnrolment();
    await waitFor(async () => (await control.status()).state === 'running', 20_000, 'running');
    assert.ok((await control.status()).effectiveCapabilities.includes('media.facts@1'));
    const v = core.addJob({
      job_type: 'extract_facts',
      source: {
        storage_id: 'nas-main',
        original_relative: await fx.addMedia('clip.mp4', video.path),
      },
    });
    const p = core.addJob({
      job_type: 'extract_facts',
      source: {
        storage_id: 'nas-main',
        original_relative: await fx.addMedia('gps.jpg', photo.path),
      },
    });
    const c = core.addJob({
      job_type: 'extract_facts',
      source: {
        storage_id: 'nas-main',
        original_relative: await fx.addMedia('corrupted.jpg', corrupt.path),
      },
    });
    await waitFor(
      () =>
        [v, p, c].every(
          (j) => core.jobs.get(j.job_id)!.submitted || core.jobs.get(j.job_id)!.failed,
        ),
      60_000,
      'all three jobs done',
    );
    const facts = (id: string) =>
      (core.jobs.get(id)!.submitted as { result: { facts_patch: Record<string, unknown> } }).result
        .facts_patch;
    const vf = facts(v.job_id);
    assert.equal(vf.video_codec, 'h264');
    assert.equal(vf.width, 1920);
    assert.equal(vf.height, 1080);
    assert.ok(Math.abs((vf.duration_ms as number) - 10_000) < 500);
    const pf = facts(p.job_id);
    assert.equal(pf.width, 640);
    assert.ok(typeof pf.gps_latitude === 'number');
    const failed = core.jobs.get(c.job_id)!.failed as
      { retryable: boolean; error_code: string } | undefined;
    // A truncated JPEG (header claims 3648×2736) must fail cleanly, never publish header facts.
    assert.ok(failed, 'the corrupt photo job failed');
    assert.equal(failed.error_code, 'IMAGE_UNREADABLE');
    assert.equal(failed.retryable, false, 'corrupt source must not be retried');
    await waitFor(
      async () => (await control.jobs()).history.length === 3,
      5000,
      'three history entries',
    );
  },
);
