// The agent daemon against the REAL core-server on loopback, shared by the integration test
// files: a Core with a temp NAS, sample files ingested until READY, an in-process daemon with
// fast intervals, enrolment approved through the operator API, and a raw signed agent.
import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAgentKey, RequestSigner, type JobType } from '@retaia/protocol';
import { sharedMedia } from '@retaia/protocol/testing/shared-media.js';
import {
  startDaemon,
  type RunningDaemon,
  type StartDaemonOptions,
} from '../../src/runtime/daemon.js';
import { ControlClient } from '../../src/runtime/control-client.js';
import { CoreClient } from '../../src/core-api/core-client.js';
import { detectMediaCapabilities } from '../../src/processing/registry.js';
import type { Processor } from '../../src/processing/processor.js';
import { waitFor } from './daemon-fixture.js';
import { skipNoCore, startRealCore, type RealCore } from './real-core.js';

export const video = sharedMedia('video/sample-h264.mp4');
export const photo = sharedMedia('photo/Canon_40D.jpg');
export const audio = sharedMedia('audio/sample_Wireless_PRO.WAV');
const skip = skipNoCore ?? video.skipReason ?? photo.skipReason ?? audio.skipReason;
// Each test gets its own deadline, well under the runner's per-file one, so a test that wedges is
// reported by name instead of as a timed-out file.
export const options = { skip, timeout: 300_000 };

export interface Env {
  core: RealCore;
  root: string;
  storage: string;
  configPath: string;
  dataDir: string;
  logLines: string[];
}

export async function startCore(
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
export async function ingest(env: Env, files: [string, string][]): Promise<void> {
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

/** Daemon timings for tests against a real Core: quick polls and beats, short backoff. */
export const REAL_CORE_DAEMON_TIMINGS = {
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
} satisfies Partial<StartDaemonOptions>;

export async function bootDaemon(
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
    ...REAL_CORE_DAEMON_TIMINGS,
    logDestination: {
      write: (s: string) => (env.logLines.push(...s.split('\n').filter(Boolean)), true),
    } as never,
    ...extra,
  });
  t.after(() => daemon.stop());
  return { daemon, control: new ControlClient(daemon.controlEndpoint) };
}

export async function enrolViaOperator(env: Env, control: ControlClient): Promise<void> {
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

export async function jobsOf(env: Env, type: JobType) {
  const out = [];
  for (const a of await env.core.operator.listAssets())
    out.push(
      ...(await env.core.context.store.listAssetJobs(a.uuid)).filter((j) => j.job_type === type),
    );
  return out;
}

export async function rawAgent(env: Env) {
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
