// A hostile network between agent and Core (delays, resets on connect, connections cut mid
// stream): heartbeats and uploads recover, or the job is failed retryable and handed out
// again — never a silent loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { System } from './support/system.js';
import { FaultProxy } from './support/fault-proxy.js';
import { fillInbox, makeSmallMedia } from './support/small-media.js';
import { auditJobs, waitJobsFinished } from './support/job-audit.js';

test('drops, delays and resets between agent and Core never lose a job', async () => {
  const sys = await System.start({
    leaseTtlSeconds: 6,
    maxAttempts: 6,
    maxPartSizeBytes: 64 * 1024,
  });
  const plan = { delayMs: 3, resetOnConnect: 0.15, cutMidStream: 0.1, cutWithinBytes: 200_000 };
  const proxy = await new FaultProxy(sys.server.port, {}, 42).start();
  try {
    const media = await makeSmallMedia(join(sys.root, 'src'), 2);
    const agent = await sys.spawnAgent('flaky-link', { coreUrl: proxy.url });
    proxy.plan = plan;
    // Existing keep-alive connections die too, as on a real network blip.
    proxy.cutAll();
    // Keep-alive connections would dodge per-connection faults: blip the link every 1.5 s.
    const blips = setInterval(() => proxy.cutAll(), 1500);
    const total = await fillInbox(sys.inbox, media, 3);
    try {
      await waitJobsFinished(sys, total, 420_000);
    } finally {
      clearInterval(blips);
    }
    const audit = await auditJobs(sys);
    console.log(
      `[e2e] fault proxy ${JSON.stringify(plan)}: stats ${JSON.stringify(proxy.stats)}; jobs ${audit.jobs}, completed ${audit.completed}, failed ${audit.failed}; claim outcomes ${JSON.stringify(audit.outcomes)}`,
    );
    assert.ok(
      proxy.stats.resets + proxy.stats.cuts + proxy.stats.blipped > 0,
      'faults were actually injected',
    );
    assert.deepEqual(audit.completedTwice, []);
    // Every job ended visibly: completed, or failed with its reasons recorded per claim.
    const store = sys.server.context.store;
    for (const a of await store.listAssets({ limit: 1000, offset: 0 })) {
      for (const j of await store.listAssetJobs(a.uuid)) {
        if (j.status === 'completed') continue;
        const claims = await store.listJobClaims(j.job_id);
        assert.ok(
          claims.length > 0 &&
            claims.every((c) => c.outcome && (c.outcome !== 'failed' || c.error_code)),
          `job ${j.job_id} failed without a recorded reason`,
        );
      }
    }
    assert.ok(
      audit.completed >= audit.jobs * 0.9,
      `most jobs complete despite faults (${audit.completed}/${audit.jobs})`,
    );
    assert.notEqual((await agent.control.status()).state, 'stopped');
  } finally {
    await proxy.stop();
    await sys.stop();
  }
});
