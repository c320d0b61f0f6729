// Shutdown is bounded whatever Core does: a daemon process in the middle of a job, whose Core
// stops answering (connections accepted, nothing ever sent back), still exits soon after SIGTERM
// — grace period for the job, then a short, bounded attempt to hand the job back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { ControlClient } from '../src/runtime/control-client.js';
import { waitFor } from './support/daemon-fixture.js';
import { agentConfigWithReadyAsset, skipNoCore, startRealCore } from './support/real-core.js';
import { spawnDaemon } from './support/spawn-daemon.js';

const video = sharedMedia('video/sample-h264.mp4');

test(
  'SIGTERM with Core blackholed mid-job: the daemon process exits within its grace + hand-back budget',
  { skip: skipNoCore ?? video.skipReason },
  async (t) => {
    const env = await startRealCore(t, 'rds-');
    const { core, root } = env;
    const { FaultProxy } = await import('../../e2e/support/fault-proxy.js');
    const proxy = await new FaultProxy(core.port, {}, 3).start();
    t.after(() => proxy.stop());
    const configPath = await agentConfigWithReadyAsset(env, proxy.url, video.path!);
    const daemon = await spawnDaemon({
      configPath,
      dataDir: join(root, 'agent-data'),
      delayMs: 120_000,
      heartbeatMs: 500,
      shutdownGraceMs: 1000,
    });
    t.after(() => void daemon.child.kill('SIGKILL'));
    const control = new ControlClient(daemon.endpoint);
    const view = await control.startEnrolment('shutdown test');
    await core.operator.approveDevice(view.userCode!);
    await waitFor(async () => (await control.jobs()).current.length === 1, 30_000, 'job running');

    // Core goes silent: every open connection dropped, new ones accepted and never answered.
    proxy.plan = { blackhole: true };
    proxy.cutAll();
    const exited = new Promise<number>((resolve) =>
      daemon.child.once('exit', () => resolve(Date.now())),
    );
    const t0 = Date.now();
    daemon.child.kill('SIGTERM');
    const seconds = ((await exited) - t0) / 1000;
    t.diagnostic(`exit after SIGTERM with Core blackholed: ${seconds.toFixed(1)} s`);
    assert.match(daemon.output(), /STOPPED/, 'stopped through its own shutdown, not killed');
    // grace 1 s + hand-back budget 5 s + start-up slack on a loaded machine
    assert.ok(seconds < 20, `exited ${seconds.toFixed(1)} s after SIGTERM`);
  },
);
