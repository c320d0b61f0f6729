// The daemon loop against an in-process fake Core (real signatures, real leases, faults on
// demand): enrol → register → poll → claim → process → submit, leases, shutdown, control API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobType } from '@retaia/protocol';
import {
  startDaemon,
  DaemonAlreadyRunningError,
  type RunningDaemon,
} from '../src/runtime/daemon.js';
import { ControlClient, DaemonNotRunningError } from '../src/runtime/control-client.js';
import type { DaemonEvent } from '../src/runtime/control-protocol.js';
import type { Processor } from '../src/processing/processor.js';
import { FakeCore } from './support/fake-core.js';
import { makeDaemonFixture, waitFor, type DaemonFixture } from './support/daemon-fixture.js';
import { ScriptedProcessor, working, corrupt, factsOutput } from './support/test-processors.js';

const CAPS = ['media.facts@1', 'speech.transcription@1', 'speech.transcription.local.whispercpp@1'];

async function boot(
  t: { after(fn: () => Promise<void>): void },
  processors: Map<JobType, Processor>,
  opts: {
    heartbeatMs?: number;
    leaseTtlMs?: number;
    shutdownGraceMs?: number;
    config?: Record<string, unknown>;
  } = {},
): Promise<{
  core: FakeCore;
  fx: DaemonFixture;
  daemon: RunningDaemon;
  control: ControlClient;
  events: DaemonEvent[];
}> {
  const core = await new FakeCore().start();
  core.deviceInterval = 0;
  if (opts.leaseTtlMs) core.leaseTtlMs = opts.leaseTtlMs;
  const fx = await makeDaemonFixture(core.url, 'nas-main', opts.config);
  const daemon = await startDaemon({
    configPath: fx.configPath,
    dataDir: fx.dataDir,
    processors,
    detectCapabilities: async () => ({ capabilities: CAPS, problems: [] }),
    intervals: {
      policyMs: 200,
      pollMs: 50,
      heartbeatMs: opts.heartbeatMs ?? 100,
      shutdownGraceMs: opts.shutdownGraceMs ?? 300,
      reconnectMs: 50,
      enrolPollMinMs: 20,
    },
    backoff: { baseMs: 5, capMs: 50 },
    logDestination: fx.logDestination,
    secretStore: 'file',
    workRoot: fx.root,
  });
  const events: DaemonEvent[] = [];
  daemon.events.subscribe((e) => events.push(e));
  t.after(async () => {
    await daemon.stop();
    await core.close();
  });
  const control = new ControlClient(daemon.controlEndpoint);
  return { core, fx, daemon, control, events };
}

async function enrol(core: FakeCore, control: ControlClient): Promise<void> {
  core.deviceApproved = true;
  const view = await control.startEnrolment('test agent');
  assert.equal(view.userCode, 'ABCD-EFGH');
  await waitFor(
    async () => (await control.status()).state === 'running',
    10_000,
    'running after enrolment',
  );
}

test('enrol through the control API, then claim, process and submit a job; history + notifications + logs', async (t) => {
  const facts = new ScriptedProcessor('extract_facts', working(50, factsOutput));
  const { core, fx, daemon, control, events } = await boot(t, new Map([['extract_facts', facts]]));
  const before = await control.status();
  assert.equal(before.state, 'degraded');
  assert.equal(before.auth.state, 'not_enrolled');
  assert.match(before.reason ?? '', /enrol/);
  await enrol(core, control);
  const rel = await fx.addMedia('clip.mp4');
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'nas-main', original_relative: rel },
  });
  await waitFor(() => core.jobs.get(job.job_id)?.submitted, 10_000, 'submit');
  const submitted = core.jobs.get(job.job_id)!.submitted as {
    job_type: string;
    result: { facts_patch: unknown };
  };
  assert.equal(submitted.job_type, 'extract_facts');
  assert.deepEqual(submitted.result.facts_patch, { duration_ms: 1000, media_format: 'mp4' });
  assert.equal(facts.runs[0]?.sourcePath, join(fx.mount, rel));
  const history = await waitFor(
    async () => (await control.jobs()).history.find((h) => h.jobId === job.job_id),
    5000,
    'history',
  );
  assert.equal(history.outcome, 'completed');
  assert.ok(history.durationMs >= 0);
  // persisted, bounded JSON lines
  const lines = (await readFile(join(fx.dataDir, 'job-history.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(JSON.parse(lines.at(-1)!).jobId, job.job_id);
  // temp dir removed
  assert.deepEqual(
    (await readdir(fx.root)).filter((n) => n.startsWith('retaia-job-')),
    [],
  );
  const kinds = events
    .filter((e) => e.type === 'notification')
    .map((e) => (e as { kind: string }).kind);
  assert.ok(kinds.includes('job_started'));
  assert.ok(kinds.includes('all_jobs_done'));
  // every log line of the job carries job_id and asset_uuid; no secret anywhere
  const jobLines = fx.logLines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.job_id === job.job_id);
  assert.ok(jobLines.length >= 3, 'job lines logged');
  assert.ok(jobLines.every((l) => l.asset_uuid === job.asset_uuid));
  assert.ok(
    fx.logLines.some((l) => JSON.parse(l).step === 'probe' && JSON.parse(l).job_id === job.job_id),
    'processor logs are correlated',
  );
  const allLogs = fx.logLines.join('\n');
  for (const secret of ['sk-enrolled-secret', 'PRIVATE KEY', ...core.tokens])
    assert.ok(!allLogs.includes(secret), `log leaks ${secret.slice(0, 12)}`);
  const diag = await control.diagnostics();
  assert.match(diag, /auth: enrolled/);
  for (const secret of ['sk-enrolled-secret', 'PRIVATE KEY', ...core.tokens])
    assert.ok(!diag.includes(secret));
  // one token for the whole process
  assert.equal(core.requests.filter((r) => r.path.endsWith('/auth/clients/token')).length, 1);
  void daemon;
});

test('a job longer than the lease TTL keeps its lease through heartbeats', async (t) => {
  const facts = new ScriptedProcessor('extract_facts', working(1500, factsOutput));
  const { core, fx, control } = await boot(t, new Map([['extract_facts', facts]]), {
    leaseTtlMs: 500,
    heartbeatMs: 150,
  });
  await enrol(core, control);
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'nas-main', original_relative: await fx.addMedia('long.mp4') },
  });
  await waitFor(() => core.jobs.get(job.job_id)?.submitted, 10_000, 'submit');
  assert.ok(core.requests.filter((r) => r.path.endsWith(`${job.job_id}/heartbeat`)).length >= 3);
});

test('a stolen lease aborts the processor at once and nothing is submitted or failed', async (t) => {
  const facts = new ScriptedProcessor('extract_facts', working(30_000, factsOutput));
  const { core, fx, control, events } = await boot(t, new Map([['extract_facts', facts]]), {
    heartbeatMs: 100,
  });
  await enrol(core, control);
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'nas-main', original_relative: await fx.addMedia('x.mp4') },
  });
  await waitFor(async () => facts.runs.length === 1, 10_000, 'processor running');
  core.stealLease(job.job_id);
  const finished = await waitFor(
    () => events.find((e) => e.type === 'job_finished'),
    5000,
    'job finished',
  );
  assert.equal((finished as { entry: { outcome: string } }).entry.outcome, 'lease_lost');
  assert.equal(facts.aborted, 1);
  const st = core.jobs.get(job.job_id)!;
  assert.equal(st.submitted, undefined);
  assert.equal(st.failed, undefined);
  assert.ok(
    !core.requests.some(
      (r) => r.path.endsWith(`${job.job_id}/submit`) || r.path.endsWith(`${job.job_id}/fail`),
    ),
  );
});

test('processor failures are reported with their retryable flag; only flagged + capable job types are claimed', async (t) => {
  const facts = new ScriptedProcessor('extract_facts', corrupt);
  const transcribe = new ScriptedProcessor('transcribe_audio', async () => ({
    type: 'transcript',
    transcriptPatch: { status: 'DONE', text: 'hi' },
  }));
  const { core, fx, control, events } = await boot(
    t,
    new Map<JobType, Processor>([
      ['extract_facts', facts],
      ['transcribe_audio', transcribe],
    ]),
  );
  await enrol(core, control);
  const rel = await fx.addMedia('bad.jpg');
  const speech = core.addJob({
    job_type: 'transcribe_audio',
    required_capabilities: CAPS.slice(1),
    source: { storage_id: 'nas-main', original_relative: rel },
  });
  const thumbs = core.addJob({
    job_type: 'generate_thumbnails',
    required_capabilities: ['media.thumbnails@1'],
    source: { storage_id: 'nas-main', original_relative: rel },
  });
  const otherStorage = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'unmounted', original_relative: rel },
  });
  const bad = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'nas-main', original_relative: rel },
  });
  await waitFor(() => core.jobs.get(bad.job_id)?.failed, 10_000, 'fail');
  assert.deepEqual(
    {
      code: (core.jobs.get(bad.job_id)!.failed as { error_code: string }).error_code,
      retryable: (core.jobs.get(bad.job_id)!.failed as { retryable: boolean }).retryable,
    },
    { code: 'SOURCE_CORRUPT', retryable: false },
  );
  await waitFor(
    () => events.some((e) => e.type === 'notification' && e.kind === 'job_failed'),
    5000,
    'job_failed notification',
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(
    core.jobs.get(speech.job_id)!.job.status,
    'pending',
    'transcription flag off: not claimed',
  );
  assert.equal(core.jobs.get(thumbs.job_id)!.job.status, 'pending', 'no capability: not claimed');
  assert.equal(core.jobs.get(otherStorage.job_id)!.job.status, 'pending', 'no mount: not claimed');
  core.policy = { ...core.policy, feature_flags: { 'features.ai.transcribe_audio': true } };
  await waitFor(
    () => core.jobs.get(speech.job_id)?.submitted,
    10_000,
    'transcription submitted once the flag is on',
  );
});

test('pause stops claiming; resume restarts; SIGTERM-style stop fails running jobs retryable after the grace period', async (t) => {
  const facts = new ScriptedProcessor('extract_facts', working(60_000, factsOutput));
  const { core, fx, control, daemon } = await boot(t, new Map([['extract_facts', facts]]), {
    shutdownGraceMs: 200,
  });
  await enrol(core, control);
  const paused = await control.pause('battery');
  assert.equal(paused.state, 'paused');
  assert.deepEqual(paused.pauseReasons, ['battery']);
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'nas-main', original_relative: await fx.addMedia('p.mp4') },
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(core.jobs.get(job.job_id)!.job.status, 'pending');
  assert.equal((await control.resume('battery')).state, 'running');
  await waitFor(async () => (await control.jobs()).current.length === 1, 10_000, 'job running');
  const t0 = Date.now();
  await daemon.stop();
  assert.ok(Date.now() - t0 >= 180, 'grace period given');
  const failed = core.jobs.get(job.job_id)!.failed as { error_code: string; retryable: boolean };
  assert.deepEqual(
    { code: failed.error_code, retryable: failed.retryable },
    { code: 'AGENT_SHUTDOWN', retryable: true },
  );
  assert.equal(core.jobs.get(job.job_id)!.job.status, 'pending', 'handed out again at once');
  await assert.rejects(control.status(), DaemonNotRunningError);
});

test('a second daemon for the same user is refused; the first keeps running', async (t) => {
  const { fx, control } = await boot(t, new Map());
  await assert.rejects(
    startDaemon({
      configPath: fx.configPath,
      dataDir: fx.dataDir,
      secretStore: 'file',
      processors: new Map(),
      detectCapabilities: async () => ({ capabilities: [], problems: [] }),
      logDestination: fx.logDestination,
    }),
    DaemonAlreadyRunningError,
  );
  assert.ok((await control.status()).pid === process.pid);
});

test('control API: config validate/put never applies an invalid config, mounts validate, events stream', async (t) => {
  const { fx, control } = await boot(t, new Map());
  const view = await control.getConfig();
  assert.equal(view.path, fx.configPath);
  assert.equal(view.secretStore.kind, 'file');
  const bad = await control.saveConfig({ core_url: 'http://example.com', max_parallel_jobs: 0 });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.problems.map((p) => p.field).sort(), ['core_url', 'max_parallel_jobs']);
  assert.equal(
    JSON.parse(await readFile(fx.configPath, 'utf8')).max_parallel_jobs,
    2,
    'file untouched',
  );
  const check = await control.validateConfig({ core_url: 'https://nas.example' });
  assert.equal((check.config as { core_url: string }).core_url, 'https://nas.example/api/v1');
  const ac = new AbortController();
  const seen: DaemonEvent[] = [];
  const reader = (async () => {
    for await (const e of control.events(ac.signal)) {
      seen.push(e);
      if (e.type === 'notification' && e.kind === 'settings_saved') break;
    }
  })();
  await waitFor(() => seen.length > 0, 5000, 'first event');
  assert.equal(seen[0]?.type, 'status');
  const cfg = { ...JSON.parse(await readFile(fx.configPath, 'utf8')), max_parallel_jobs: 3 };
  const ok = await control.saveConfig(cfg);
  assert.equal(ok.ok, true);
  await reader;
  ac.abort();
  assert.equal(JSON.parse(await readFile(fx.configPath, 'utf8')).max_parallel_jobs, 3);
  assert.equal((await control.validateMount('nas-main', fx.mount)).ok, true);
  const wrong = await control.validateMount('other', fx.mount);
  assert.equal(wrong.ok, false);
  assert.match(wrong.problem ?? '', /names storage "nas-main"/);
  await assert.rejects(control.pause('bogus' as never), /reason must be one of/);
});

test('losing and regaining Core raises disconnected then reconnected, once each, and degrades the state', async (t) => {
  const { FaultProxy } = await import('../../e2e/support/fault-proxy.js');
  const core = await new FakeCore().start();
  core.deviceInterval = 0;
  core.deviceApproved = true;
  const proxy = await new FaultProxy(Number(new URL(core.url).port), {}, 3).start();
  const fx = await makeDaemonFixture(proxy.url);
  const daemon = await startDaemon({
    configPath: fx.configPath,
    dataDir: fx.dataDir,
    processors: new Map(),
    detectCapabilities: async () => ({ capabilities: [], problems: [] }),
    intervals: { policyMs: 100, pollMs: 50, reconnectMs: 50, enrolPollMinMs: 20 },
    backoff: { baseMs: 5, capMs: 20 },
    logDestination: fx.logDestination,
    secretStore: 'file',
  });
  t.after(async () => {
    await daemon.stop();
    await proxy.stop();
    await core.close();
  });
  const events: DaemonEvent[] = [];
  daemon.events.subscribe((e) => events.push(e));
  const control = new ControlClient(daemon.controlEndpoint);
  await enrol(core, control);
  proxy.plan = { resetOnConnect: 1 };
  // Keep-alive connections would outlive the new plan: drop them, as a real outage does.
  proxy.cutAll();
  const down = await waitFor(
    async () => {
      const s = await control.status();
      return s.state === 'degraded' ? s : undefined;
    },
    10_000,
    'degraded',
  );
  assert.equal(down.connection.state, 'disconnected');
  assert.match(down.reason ?? '', /cannot reach Core/);
  await new Promise((r) => setTimeout(r, 300));
  proxy.plan = {};
  await waitFor(async () => (await control.status()).state === 'running', 10_000, 'running again');
  const kinds = events
    .filter((e) => e.type === 'notification')
    .map((e) => (e as { kind: string }).kind);
  assert.equal(kinds.filter((k) => k === 'disconnected').length, 1);
  assert.equal(kinds.filter((k) => k === 'reconnected').length, 1);
});

test('Core retry warnings during a job carry its job_id and asset_uuid', async (t) => {
  const facts = new ScriptedProcessor('extract_facts', working(20, factsOutput));
  const { core, fx, control } = await boot(t, new Map([['extract_facts', facts]]));
  await enrol(core, control);
  core.fail429.set('/submit', { count: 2 });
  const job = core.addJob({
    job_type: 'extract_facts',
    source: { storage_id: 'nas-main', original_relative: await fx.addMedia('retry.mp4') },
  });
  await waitFor(() => core.jobs.get(job.job_id)?.submitted, 10_000, 'submit after two 429s');
  const retries = fx.logLines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => /backing off/.test(String(l.msg)) && String(l.path).includes('/submit'));
  assert.equal(retries.length, 2, 'one warning per 429');
  for (const line of retries) {
    assert.equal(line.job_id, job.job_id);
    assert.equal(line.asset_uuid, job.asset_uuid);
  }
});
