// The agent daemon against the REAL core-server on loopback: device-flow enrolment approved
// through the operator API, register, claim, facts for real sample files, leases kept through
// heartbeats, a stolen lease, 429 and dropped connections, kill -9 recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAgentKey, RequestSigner, type JobType } from '@retaia/protocol';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import { startDaemon, type RunningDaemon, type StartDaemonOptions } from '../src/runtime/daemon.js';
import { ControlClient } from '../src/runtime/control-client.js';
import { CoreClient } from '../src/core-api/core-client.js';
import { CoreApiError } from '../src/core-api/core-api-errors.js';
import { createProcessors, detectMediaCapabilities } from '../src/processing/registry.js';
import type { Processor } from '../src/processing/processor.js';
import { waitFor } from './support/daemon-fixture.js';
import { skipNoCore, startRealCore, type RealCore } from './support/real-core.js';
import { spawnDaemon, stopChild } from './support/spawn-daemon.js';
import { ScriptedProcessor, working } from './support/test-processors.js';

const video = sharedMedia('video/sample-h264.mp4');
const photo = sharedMedia('photo/Canon_40D.jpg');
const audio = sharedMedia('audio/sample_Wireless_PRO.WAV');
const skip = skipNoCore ?? video.skipReason ?? photo.skipReason ?? audio.skipReason;
// Each test gets its own deadline, well under the runner's per-file one, so a test that wedges is
// reported by name instead of as a timed-out file.
const options = { skip, timeout: 300_000 };

interface Env {
  core: RealCore;
  root: string;
  storage: string;
  configPath: string;
  dataDir: string;
  logLines: string[];
}

async function startCore(
  t: { after(fn: () => Promise<void>): void },
  opts: { leaseTtlSeconds?: number; maxPartSizeBytes?: number } = {},
): Promise<Env> {
  const { core, root, storage } = await startRealCore(t, 'rai-', {
    leaseTtlSeconds: opts.leaseTtlSeconds ?? 120,
    ...(opts.maxPartSizeBytes ? { maxPartSizeBytes: opts.maxPartSizeBytes } : {}),
  });
  const configPath = join(root, 'agent-config.json');
  await writeFile(
    configPath,
    JSON.stringify({
      core_url: core.url,
      storage_mounts: { 'nas-main': storage },
      max_parallel_jobs: 2,
    }),
  );
  return { core, root, storage, configPath, dataDir: join(root, 'agent-data'), logLines: [] };
}

/** Copies samples into INBOX and scans until the assets are READY with pending jobs. */
async function ingest(env: Env, files: [string, string][]): Promise<void> {
  for (const [name, from] of files) await copyFile(from, join(env.storage, 'INBOX', name));
  await waitFor(
    async () => {
      await env.core.scanNow();
      const assets = await env.core.operator.listAssets();
      return assets.length >= files.length && assets.every((a) => a.state !== 'DISCOVERED');
    },
    20_000,
    'assets discovered and READY',
  );
}

async function bootDaemon(
  t: { after(fn: () => Promise<void>): void },
  env: Env,
  processors: Map<JobType, Processor>,
  extra: Partial<StartDaemonOptions> = {},
): Promise<{ daemon: RunningDaemon; control: ControlClient }> {
  const daemon = await startDaemon({
    configPath: env.configPath,
    dataDir: env.dataDir,
    processors,
    detectCapabilities: () => detectMediaCapabilities(),
    intervals: {
      pollMs: 100,
      policyMs: 500,
      heartbeatMs: 300,
      shutdownGraceMs: 500,
      reconnectMs: 100,
      enrolPollMinMs: 20,
    },
    backoff: { baseMs: 20, capMs: 300 },
    secretStore: 'file',
    logDestination: {
      write: (s: string) => (env.logLines.push(...s.split('\n').filter(Boolean)), true),
    } as never,
    ...extra,
  });
  t.after(() => daemon.stop());
  return { daemon, control: new ControlClient(daemon.controlEndpoint) };
}

async function enrolViaOperator(env: Env, control: ControlClient): Promise<void> {
  const view = await control.startEnrolment('integration agent');
  assert.equal(view.state, 'pending');
  assert.ok(view.userCode, 'user code shown');
  await env.core.operator.approveDevice(view.userCode!);
  await waitFor(
    async () => (await control.status()).state === 'running',
    20_000,
    'daemon running after approval',
  );
}

async function jobsOf(env: Env, type: JobType) {
  const out = [];
  for (const a of await env.core.operator.listAssets())
    out.push(
      ...(await env.core.context.store.listAssetJobs(a.uuid)).filter((j) => j.job_type === type),
    );
  return out;
}

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
      intervals: {
        pollMs: 100,
        policyMs: 500,
        heartbeatMs: 1000,
        shutdownGraceMs: 500,
        reconnectMs: 100,
        enrolPollMinMs: 20,
      },
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

async function rawAgent(env: Env) {
  const anon = new CoreClient({ baseUrl: env.core.apiUrl });
  const start = await anon.deviceStart('raw agent');
  await env.core.operator.approveDevice(start.user_code);
  const poll = await anon.devicePoll(start.device_code);
  assert.equal(poll.status, 'APPROVED');
  const creds = {
    clientId: (poll as { client_id: string }).client_id,
    secretKey: (poll as { secret_key: string }).secret_key,
  };
  const key = await generateAgentKey('raw');
  const agentId = crypto.randomUUID();
  const client = new CoreClient({
    baseUrl: env.core.apiUrl,
    signer: await RequestSigner.fromArmored(agentId, key.privateKeyArmored),
    credentials: async () => creds,
    backoff: { baseMs: 20, capMs: 200 },
  });
  await client.register({
    agent_id: agentId,
    agent_name: 'raw',
    agent_version: '0',
    openpgp_public_key: key.publicKeyArmored,
    openpgp_fingerprint: key.fingerprint,
    os_name: 'linux',
    os_version: '1',
    arch: 'x86_64',
    capabilities: ['media.facts@1'],
  });
  return { client, creds, start };
}

test(
  'real Core: 429 SLOW_DOWN is retried after Retry-After; the typed error without retry',
  options,
  async (t) => {
    const { startCoreServer } = await import('@retaia/core-server');
    // a Core with a 1 s device-flow interval, to provoke SLOW_DOWN for real
    const root = await mkdtemp(join(tmpdir(), 'rai-slow-'));
    const pino = (await import('pino')).default;
    const slowCore = await startCoreServer({
      storageRoot: join(root, 'nas'),
      initStorage: true,
      storageId: 's',
      dataDir: join(root, 'd'),
      port: 0,
      scanIntervalMs: 0,
      deviceFlowIntervalSeconds: 1,
      logger: pino({ level: 'silent' }),
    });
    t.after(() => slowCore.close());
    const client = new CoreClient({
      baseUrl: slowCore.apiUrl,
      backoff: { baseMs: 20, capMs: 3000 },
    });
    const s = await client.deviceStart('slow');
    await client.devicePoll(s.device_code);
    await assert.rejects(
      client.devicePoll(s.device_code),
      (e: CoreApiError) => e.status === 429 && e.code === 'SLOW_DOWN',
    );
    await new Promise((r) => setTimeout(r, 1100));
    await client.devicePoll(s.device_code);
    const t0 = Date.now();
    const res = await client.call<{ status: string }>({
      method: 'POST',
      path: '/auth/clients/device/poll',
      json: { device_code: s.device_code },
    });
    assert.equal(res.body.status, 'PENDING');
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After before retrying');
  },
);

test(
  'real Core: dropped connections are retried through a faulty proxy and the job still completes',
  options,
  async (t) => {
    const env = await startCore(t);
    const { FaultProxy } = await import('../../e2e/support/fault-proxy.js');
    const proxy = await new FaultProxy(env.core.port, { resetOnConnect: 0.3 }, 7).start();
    t.after(() => proxy.stop());
    await writeFile(
      env.configPath,
      JSON.stringify({ core_url: proxy.url, storage_mounts: { 'nas-main': env.storage } }),
    );
    await ingest(env, [['clip.mp4', video.path!]]);
    const { control } = await bootDaemon(
      t,
      env,
      new Map([['extract_facts', createProcessors().get('extract_facts')!]]),
      { detectCapabilities: async () => ({ capabilities: ['media.facts@1'], problems: [] }) },
    );
    const view = await waitFor(
      async () => {
        try {
          return (await control.startEnrolment()).userCode ? await control.enrolment() : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      'enrolment started through the proxy',
    );
    await env.core.operator.approveDevice(view.userCode!);
    await waitFor(
      async () => (await jobsOf(env, 'extract_facts'))[0]?.status === 'completed',
      60_000,
      'job completed through resets',
    );
    assert.ok(proxy.stats.resets > 0, 'the proxy really reset connections');
  },
);

test(
  'real Core: kill -9 mid-job, the lease expires and a second daemon process completes the job',
  options,
  async (t) => {
    const env = await startCore(t, { leaseTtlSeconds: 2 });
    await ingest(env, [['clip.mp4', video.path!]]);
    const first = await spawnDaemon({
      configPath: env.configPath,
      dataDir: env.dataDir,
      delayMs: 60_000,
      heartbeatMs: 500,
    });
    t.after(() => void first.child.kill('SIGKILL'));
    const control = new ControlClient(first.endpoint);
    await enrolViaOperator(env, control);
    await waitFor(
      async () => (await control.jobs()).current.length >= 1,
      20_000,
      'first daemon took a job',
    );
    const [job] = await jobsOf(env, 'extract_facts');
    assert.equal(job?.status, 'claimed');
    await stopChild(first.child, 'SIGKILL', first.output);
    const second = await spawnDaemon({
      configPath: env.configPath,
      dataDir: env.dataDir,
      delayMs: 0,
    });
    t.after(() => void second.child.kill('SIGKILL'));
    await waitFor(
      async () => (await env.core.context.store.getJob(job!.job_id))?.status === 'completed',
      30_000,
      'second daemon completed the job',
    );
    assert.equal(
      (await env.core.context.store.getAsset(job!.asset_uuid))?.facts.video_codec,
      'h264',
    );
    await stopChild(second.child, 'SIGTERM', second.output);
  },
);

test(
  'real Core: derived outputs (waveform, audio preview) are uploaded in parts and submitted',
  options,
  async (t) => {
    // small parts so each file really goes up in several multipart requests
    const env = await startCore(t, { maxPartSizeBytes: 16 * 1024 });
    // Skip (saying why) while core-server does not serve the derived upload routes yet.
    const probe = await fetch(`${env.core.apiUrl}/assets/x/derived/upload/init`, {
      method: 'POST',
    });
    if (probe.status === 404) {
      t.skip('core-server has no /assets/{uuid}/derived/upload/* routes yet');
      return;
    }
    await ingest(env, [['rode.wav', audio.path!]]);
    const all = createProcessors();
    const processors = new Map<JobType, Processor>(
      (['extract_facts', 'generate_audio_waveform', 'generate_preview'] as const).map((k) => [
        k,
        all.get(k)!,
      ]),
    );
    const { control } = await bootDaemon(t, env, processors);
    await enrolViaOperator(env, control);
    await waitFor(
      async () => {
        const jobs = [
          ...(await jobsOf(env, 'generate_audio_waveform')),
          ...(await jobsOf(env, 'generate_preview')),
        ];
        return jobs.length === 2 && jobs.every((j) => j.status === 'completed');
      },
      30_000,
      'derived jobs completed',
    );
    const [asset] = await env.core.operator.listAssets();
    const derived = await env.core.context.store.listDerived(asset!.uuid);
    const kinds = derived.map((d) => d.kind).sort();
    assert.deepEqual(kinds, ['preview_audio', 'waveform']);
    // the bytes Core stored are exactly what the agent hashed, and came in several parts
    const { createHash } = await import('node:crypto');
    const { readFile: read } = await import('node:fs/promises');
    for (const d of derived) {
      // Core publishes the file right after the submit commits: give it a moment.
      const bytes = await waitFor(
        () => read(join(env.storage, d.relative_path)).catch(() => undefined),
        5000,
        `${d.kind} published`,
      );
      assert.equal(createHash('sha256').update(bytes).digest('hex'), d.sha256, d.kind);
      assert.equal(bytes.length, d.size_bytes);
    }
    const preview = derived.find((d) => d.kind === 'preview_audio')!;
    assert.ok(preview.size_bytes > 16 * 1024, 'the preview needed more than one part');
    const failures = (await control.jobs()).history.filter((h) => h.outcome !== 'completed');
    assert.deepEqual(failures, []);
  },
);
