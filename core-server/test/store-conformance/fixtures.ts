// Small builders shared by the conformance cases.
import { randomUUID } from 'node:crypto';
import {
  CAPABILITIES,
  type FactsPatch,
  type JobType,
  type MediaType,
  type ProcessingProfile,
} from '@retaia/protocol';
import type { CoreStore, DeviceFlowWithRequester, NewAsset } from '../../src/store/core-store.js';
import type { AgentRecord, ClientRecord } from '../../src/store/records.js';

export const ALL_CAPABILITIES = Object.values(CAPABILITIES);

export function newAsset(
  i: number,
  opts: { media_type?: MediaType; profile?: ProcessingProfile; name?: string; uuid?: string } = {},
): NewAsset {
  const name = opts.name ?? `f${i}.jpg`;
  return {
    uuid: opts.uuid ?? randomUUID(),
    media_type: opts.media_type ?? 'PHOTO',
    profile: opts.profile ?? 'photo_standard',
    relative_path: `INBOX/${i}-${name}`,
    name,
    size_bytes: 100 + i,
    mtime_ms: 1000 + i,
    sidecars: [],
  };
}

/** Discovers the assets and makes them READY at `nowMs` (jobs planned). */
export async function addReadyAssets(store: CoreStore, assets: NewAsset[], nowMs = 1000) {
  await store.applyScan(
    { inserts: assets, updates: [], ready: assets.map((a) => a.uuid) },
    {},
    nowMs,
  );
  return assets;
}

export const PHOTO_FACTS: FactsPatch = { media_format: 'jpeg', width: 640, height: 480 };

/** A fixed uuid per index, for cases whose result depends on uuid order (ties). */
export const fixedUuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** An agent of `client_id` as a registration would save it. */
export function agentRecord(
  agent_id: string,
  client_id: string,
  overrides: Partial<AgentRecord> = {},
): AgentRecord {
  return {
    agent_id,
    client_id,
    agent_name: 'n',
    agent_version: '1',
    os_name: null,
    os_version: null,
    arch: null,
    capabilities: [],
    effective_capabilities: [],
    capability_warnings: [],
    max_parallel_jobs: 1,
    public_key: 'k1',
    fingerprint: 'f1',
    identity_conflict: false,
    feature_flags_contract_version: null,
    last_seen_at: 'x',
    last_register_at: 'x',
    last_heartbeat_at: null,
    ...overrides,
  };
}

/** A device flow as `POST /auth/device` starts it, from 192.0.2.1 at 1000 ms. */
export function pendingDeviceFlow(
  deviceCodeHash: string,
  userCode: string,
  overrides: Partial<DeviceFlowWithRequester> = {},
): DeviceFlowWithRequester {
  return {
    device_code_hash: deviceCodeHash,
    user_code: userCode,
    client_label: 'nas agent',
    status: 'PENDING',
    interval_s: 5,
    created_at_ms: 1000,
    expires_at_ms: 10_000,
    last_poll_at_ms: null,
    slow_downs: 0,
    client_id: null,
    approved_at: null,
    approved_by_user_id: null,
    requester_ip: '192.0.2.1',
    ...overrides,
  };
}

/** A client approved through the device flow, holding bearer token `tokenHash` until `expiresAtMs`. */
export async function clientWithToken(
  store: CoreStore,
  tokenHash: string,
  expiresAtMs: number,
): Promise<ClientRecord> {
  const code = randomUUID();
  const userCode = `${code.slice(0, 4)}-${code.slice(4, 8)}`.toUpperCase();
  await store.createDeviceFlow(
    pendingDeviceFlow(code, userCode, {
      client_label: 'agent',
      created_at_ms: 0,
      expires_at_ms: 9e15,
    }),
  );
  await store.approveDeviceFlow(userCode, 'op', 1);
  const client = await store.consumeDeviceFlow(code, 'secret-hash');
  await store.replaceClientToken(client.client_id, tokenHash, expiresAtMs);
  return client;
}

/**
 * Claims the asset's job of `jobType` at `nowMs` and completes it a second later, as an agent
 * would (with `facts` for a facts job).
 */
export async function completeAssetJob(
  store: CoreStore,
  uuid: string,
  jobType: JobType,
  opts: { facts?: FactsPatch; agentId?: string; nowMs?: number } = {},
): Promise<void> {
  const { agentId = 'agent-1', nowMs = 2000 } = opts;
  const job = (await store.listAssetJobs(uuid)).find((j) => j.job_type === jobType)!;
  const claimed = await store.claimJob({
    jobId: job.job_id,
    agentId,
    effectiveCapabilities: ALL_CAPABILITIES,
    flags: {},
    nowMs,
    leaseTtlMs: 60_000,
  });
  await store.completeJob({
    jobId: job.job_id,
    agentId,
    lockToken: claimed.job.lock_token!,
    fencingToken: claimed.job.fencing_token,
    nowMs: nowMs + 1000,
    jobType,
    ...(opts.facts ? { facts: opts.facts } : {}),
    flags: {},
  });
}
