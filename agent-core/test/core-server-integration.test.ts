// The agent daemon against the REAL core-server on loopback: device-flow enrolment approved
// through the operator API, register, claim, facts for real sample files, leases kept through
// heartbeats, a stolen lease. Faults (429, dropped connections, kill -9) and derived uploads:
// core-server-faults.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProcessors } from '../src/processing/registry.js';
import { waitFor } from './support/daemon-fixture.js';
import {
  audio,
  bootDaemon,
  enrolViaOperator,
  ingest,
  jobsOf,
  options,
  photo,
  rawAgent,
  REAL_CORE_DAEMON_TIMINGS,
  startCore,
  video,
} from './support/real-core-agent.js';
import { ScriptedProcessor, working } from './support/test-processors.js';

test(
  'real Core: enrol, register, claim and submit facts for real video, photo and audio',
  options,
  async (t) => {
    const env = await startCore(t);
    await ingest(env, [
      ['clip.mp4', video.path!],
      ['canon.jpg', photo.path!],
      ['rode.wav', audio.path!],
    ]);
    const { control } = await bootDaemon(
      t,
      env,
      new Map([['extract_facts', createProcessors().get('extract_facts')!]]),
    );
    const before = await control.status();
    assert.equal(before.auth.state, 'not_enrolled');
    await enrolViaOperator(env, control);
    const status = await control.status();
    assert.ok(status.effectiveCapabilities.includes('media.facts@1'));
    assert.equal((await env.core.operator.listAgents()).length >= 1, true);
    await waitFor(
      async () => (await jobsOf(env, 'extract_facts')).every((j) => j.status === 'completed'),
      60_000,
      'facts jobs completed',
    );
    const assets = await env.core.operator.listAssets();
    const byName = new Map(assets.map((a) => [a.name, a]));
    assert.equal(byName.get('clip.mp4')?.facts.video_codec, 'h264');
    assert.equal(byName.get('clip.mp4')?.facts.width, 1920);
    assert.ok(byName.get('canon.jpg')?.facts.camera_make);
    assert.equal(byName.get('rode.wav')?.facts.sample_rate_hz, 48_000);
    // Core marks the job completed before the daemon records its history entry: wait for it.
    await waitFor(
      async () =>
        (await control.jobs()).history.filter((h) => h.outcome === 'completed').length === 3,
      5000,
      'three completed history entries',
    );
    // one token for the whole process; no secret in any log line
    const logs = env.logLines.join('\n');
    assert.doesNotMatch(logs, /PRIVATE KEY|secret_key"?:"[^[]/);
    const jobLines = env.logLines.map((l) => JSON.parse(l)).filter((l) => l.job_id);
    assert.ok(jobLines.length > 0 && jobLines.every((l) => l.asset_uuid));
  },
);

test(
  'real Core: a job longer than the lease TTL keeps its lease through heartbeats',
  options,
  async (t) => {
    const env = await startCore(t, { leaseTtlSeconds: 1 });
    await ingest(env, [['clip.mp4', video.path!]]);
    const facts = createProcessors().get('extract_facts')!;
    const slow = new ScriptedProcessor('extract_facts', async (ctx) => {
      await working(2500, { type: 'facts', factsPatch: {} })(ctx);
      return facts.run(ctx);
    });
    const { control } = await bootDaemon(t, env, new Map([['extract_facts', slow]]));
    await enrolViaOperator(env, control);
    await waitFor(
      async () => (await jobsOf(env, 'extract_facts'))[0]?.status === 'completed',
      30_000,
      'long job completed despite 1 s TTL',
    );
    const entry = await waitFor(
      async () => (await control.jobs()).history[0],
      5000,
      'history entry',
    );
    assert.equal(entry.outcome, 'completed');
    assert.ok(entry.durationMs >= 2500, 'ran longer than the 1 s lease TTL');
  },
);

test(
  'real Core: a lease taken over by another agent aborts the work and nothing is submitted',
  options,
  async (t) => {
    const env = await startCore(t);
    await ingest(env, [['clip.mp4', video.path!]]);
    const slow = new ScriptedProcessor(
      'extract_facts',
      working(60_000, { type: 'facts', factsPatch: { duration_ms: 1 } }),
    );
    const { control, daemon } = await bootDaemon(t, env, new Map([['extract_facts', slow]]), {
      intervals: { ...REAL_CORE_DAEMON_TIMINGS.intervals, heartbeatMs: 1000 },
    });
    await enrolViaOperator(env, control);
    await waitFor(async () => (await control.jobs()).current.length === 1, 20_000, 'job running');
    daemon.runtime.pause('user'); // the daemon must not take the job back
    const [job] = await jobsOf(env, 'extract_facts');
    // Core expires the lease (as if the agent had been silent past the TTL); another agent
    // claims the job and gets a new lock + fencing token.
    await env.core.context.store.expireLeases(Date.now() + 10 * 60_000);
    const thief = await rawAgent(env);
    const stolen = await thief.client.claimJob(job!.job_id);
    assert.ok(stolen, 'the other agent claimed the expired job');
    const entry = await waitFor(
      async () => (await control.jobs()).history.find((h) => h.jobId === job!.job_id),
      10_000,
      'daemon gave up the job',
    );
    assert.equal(entry.outcome, 'lease_lost');
    assert.match(
      entry.message ?? '',
      /STALE_LOCK_TOKEN|LOCK_INVALID|LOCK_REQUIRED/,
      'told by Core at the next heartbeat',
    );
    assert.equal(slow.aborted, 1);
    await thief.client.submitJob(job!.job_id, {
      lock_token: stolen.lock_token,
      fencing_token: stolen.fencing_token,
      job_type: 'extract_facts',
      result: {
        facts_patch: {
          duration_ms: 42,
          media_format: 'mp4',
          video_codec: 'h264',
          width: 2,
          height: 2,
          fps: 25,
        },
      },
    });
    const after = await env.core.context.store.getJob(job!.job_id);
    assert.equal(after?.status, 'completed');
    assert.equal(
      (await env.core.context.store.getAsset(job!.asset_uuid))?.facts.duration_ms,
      42,
      'only the thief submitted',
    );
  },
);
