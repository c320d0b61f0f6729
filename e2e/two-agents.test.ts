// Two daemons share one library: every job is completed exactly once and nothing is
// published twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { System } from './support/system.js';
import { fillInbox, makeSmallMedia } from './support/small-media.js';
import { auditJobs, waitPublished } from './support/job-audit.js';

const EXPECTED_FILES: Record<string, Record<string, number>> = {
  VIDEO: { preview_video: 1, thumb: 11, waveform: 1 },
  AUDIO: { preview_audio: 1, waveform: 1 },
  PHOTO: { preview_photo: 1 },
};

test('two daemons on 30 assets: every job completed exactly once, no derivative published twice', async () => {
  const sys = await System.start();
  try {
    const media = await makeSmallMedia(join(sys.root, 'src'));
    await Promise.all([sys.spawnAgent('alpha'), sys.spawnAgent('beta')]);
    const started = Date.now();
    const total = await fillInbox(sys.inbox, media, 10);
    const assets = await sys.waitSettled(total, 480_000);
    const seconds = (Date.now() - started) / 1000;
    const audit = await auditJobs(sys);
    console.log(
      `[e2e] two agents: ${total} assets in ${seconds.toFixed(1)} s (${((total / seconds) * 60).toFixed(1)}/min); claims by agent ${JSON.stringify(audit.claimsByAgent)}; outcomes ${JSON.stringify(audit.outcomes)}`,
    );
    assert.equal(assets.length, total);
    assert.deepEqual(audit.completedTwice, []);
    assert.equal(audit.completed, audit.jobs, 'every job completed');
    assert.equal(Object.keys(audit.claimsByAgent).length, 2, 'both agents worked');
    for (const a of assets) await waitPublished(sys, a.uuid, EXPECTED_FILES[a.media_type]!);
  } finally {
    await sys.stop();
  }
});
