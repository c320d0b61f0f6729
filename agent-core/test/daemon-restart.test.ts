// A restarted daemon process is the same enrolled agent: its first status already says
// "enrolled" (nothing invites a second enrolment), Core sees no new client, and a job the killed
// process held is handed back at once instead of waiting for its 120 s lease to expire, even
// when Core fails the first hand-back attempts (a database hiccup while both come back up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ControlClient } from '../src/runtime/control-client.js';
import { waitFor } from './support/daemon-fixture.js';
import { agentConfigWithReadyAsset, skipNoCore, startRealCore } from './support/real-core.js';
import { spawnDaemon, stopChild } from './support/spawn-daemon.js';

const video = sharedMedia('video/sample-h264.mp4');

test(
  'kill -9 then restart: same client, enrolled from the first status, held job handed back at once',
  { skip: skipNoCore ?? video.skipReason },
  async (t) => {
    const env = await startRealCore(t, 'rdr-', { leaseTtlSeconds: 120 });
    const { core, root } = env;
    const configPath = await agentConfigWithReadyAsset(env, core.url, video.path!);
    const dataDir = join(root, 'agent-data');
    const first = await spawnDaemon({ configPath, dataDir, delayMs: 600_000 });
    t.after(() => void first.child.kill('SIGKILL'));
    const control1 = new ControlClient(first.endpoint);
    const view = await control1.startEnrolment('restart test');
    await core.operator.approveDevice(view.userCode!);
    const clientId = await waitFor(
      async () => (await control1.status()).auth.clientId,
      30_000,
      'enrolled',
    );
    // Killed the moment the job shows as running: from then on its lease must survive a kill -9.
    await waitFor(async () => (await control1.jobs()).current.length === 1, 30_000, 'job running');
    const workRoot = join(dataDir, 'work');
    const [leftBehind] = await waitFor(
      async () => {
        const names = await readdir(workRoot).catch(() => []);
        return names.length ? names : undefined;
      },
      30_000,
      'the job folder exists',
    );
    await stopChild(first.child, 'SIGKILL', first.output);
    const killedAt = Date.now();

    const claimed = [];
    for (const a of await core.operator.listAssets())
      claimed.push(
        ...(await core.context.store.listAssetJobs(a.uuid)).filter((j) => j.status === 'claimed'),
      );
    const [job] = claimed;
    assert.ok(job, 'a job is claimed by the first process');

    // Core refuses every hand-back for its first 2 s (500s): more than the agent's own retries
    // of one call, so the hand-back must be tried again later, not given up until the lease ends.
    const store = core.context.store;
    const failJob = store.failJob.bind(store);
    let outageEndsAt: number | undefined;
    let refused = 0;
    store.failJob = async (input) => {
      if (input.errorCode === 'AGENT_RESTARTED') {
        outageEndsAt ??= Date.now() + 2_000;
        if (Date.now() < outageEndsAt) {
          refused++;
          throw new Error('database hiccup (injected by the test)');
        }
      }
      return failJob(input);
    };

    const second = await spawnDaemon({ configPath, dataDir, delayMs: 0 });
    t.after(() => void second.child.kill('SIGKILL'));
    const control2 = new ControlClient(second.endpoint);
    const firstStatus = await control2.status();
    assert.equal(firstStatus.auth.state, 'enrolled', 'enrolled from the very first status');
    assert.equal(firstStatus.auth.clientId, clientId, 'the same client, not a new enrolment');
    assert.ok(
      !(await readdir(workRoot)).includes(leftBehind!),
      `the killed process's job folder ${leftBehind} is removed at restart`,
    );

    await waitFor(
      async () => (await core.context.store.getJob(job!.job_id))?.status === 'completed',
      // Generous for loaded machines: the proof of the hand-back is the claim's outcome below,
      // not the time (an expired lease would end with another code).
      150_000,
      'second process completed the job',
    );
    const waited = (Date.now() - killedAt) / 1000;
    t.diagnostic(
      `job completed ${waited.toFixed(1)} s after the kill (lease TTL 120 s); ${refused} hand-backs refused first`,
    );
    assert.ok(refused >= 1, 'the injected outage refused at least one hand-back');
    const claims = await core.context.store.listJobClaims(job!.job_id);
    assert.equal(claims[0]?.error_code, 'AGENT_RESTARTED', 'the first lease was handed back');
    assert.equal(claims.at(-1)?.outcome, 'completed');
    assert.equal((await core.context.store.listClients()).length, 1, 'one enrolled client');
    await stopChild(second.child, 'SIGTERM', second.output);
  },
);
