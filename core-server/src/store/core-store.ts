// The one persistence seam of core-server. Everything that outlives a request goes through this
// interface; the embedded SQLite implementation is the default, and a PostgreSQL one (several
// Core replicas, FOR UPDATE SKIP LOCKED claims) can be added behind it. Methods are async for
// that reason even though better-sqlite3 is synchronous.
import type { AssetListKey, AssetSort } from '../domain/asset-sort.js';
import type { FeatureFlags, MediaType, ProcessingProfile, AssetState } from '@retaia/protocol';
import type {
  AgentUploadUsage,
  ClaimableJob,
  ClaimJobInput,
  ClaimOnceResult,
  CompleteJobInput,
  CompleteJobResult,
  CompleteOnceResult,
  DecisionHistoryEntry,
  FailJobInput,
  HumanMutationInput,
  HumanPatch,
  IdempotentWrite,
  LeaseProof,
  ListClaimableJobsInput,
  NonceUse,
  SecurityPruneInput,
  SecurityRowCounts,
} from './store-types.js';
import type { AssetRecords, MoveJournal } from '../moves/index.js';
import type { OpsStore } from './ops-store.js';
import type { AttemptBudgets } from '../auth/attempt-budgets.js';
import type { DeferredAuthChecks } from './auth-lookup-entries.js';
import type {
  AgentRecord,
  AssetRecord,
  ClientRecord,
  DerivedFileRecord,
  DeviceFlowRecord,
  JobClaimRecord,
  JobRecord,
  UploadPartRecord,
  UploadRecord,
  UserRecord,
} from './records.js';

// The verbs' inputs and results are declared in ./store-types.ts; re-exported so callers name
// one module.
export type * from './store-types.js';

/** A device flow with the address that started it (shown on the approval page). */
export type DeviceFlowWithRequester = DeviceFlowRecord & { requester_ip?: string | null };

export interface MovedAssetOrigin {
  /** The asset's first relative path (where discovery found it). */
  discovered: string;
  relative_path: string;
  media_type: MediaType;
  sidecars: string[];
}

/**
 * What discovery needs to know of an asset's state: still being discovered, purged, or anything
 * after discovery. Only a change between these three moves the scan index version.
 */
export type ScanPhase = 'discovered' | 'purged' | 'settled';

export interface ScanIndexEntry {
  uuid: string;
  relative_path: string;
  size_bytes: number;
  mtime_ms: number;
  stable_scans: number;
  phase: ScanPhase;
  sidecars: string;
}

export interface NewAsset {
  uuid: string;
  media_type: MediaType;
  profile: ProcessingProfile;
  relative_path: string;
  name: string;
  size_bytes: number;
  mtime_ms: number;
  sidecars: string[];
}

export interface ScanChanges {
  inserts: NewAsset[];
  updates: {
    uuid: string;
    size_bytes: number;
    mtime_ms: number;
    stable_scans: number;
    sidecars: string[];
  }[];
  /** DISCOVERED assets that passed the stability rule. */
  ready: string[];
}

export type IdempotencyBegin =
  | { kind: 'new' }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'conflict' }
  | { kind: 'in_progress' };

export interface IdempotencyScope {
  actor: string;
  endpoint: string;
  key: string;
}

export interface AssetListFilter {
  q?: string;
  states?: AssetState[];
  mediaType?: MediaType;
  /** Contract sort value (validated by the route); default `-created_at`. */
  sort?: AssetSort;
  limit: number;
  offset: number;
  /** Keyset paging: rows after this key (offset then 0). */
  after?: AssetListKey;
}

export interface AgentJobDigest {
  current: (JobRecord & { claimed_at: string }) | undefined;
  lastCompleted: JobRecord | undefined;
  lastFailed: JobRecord | undefined;
}

export interface CoreStore {
  close(): Promise<void>;

  addUser(email: string, passwordHash: string): Promise<UserRecord>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  saveUserToken(tokenHash: string, userId: string, expiresAtMs: number): Promise<void>;
  findUserByToken(tokenHash: string, nowMs: number): Promise<UserRecord | undefined>;
  /** Logout: the token stops working at once. Returns whether it existed. */
  revokeUserToken(tokenHash: string): Promise<boolean>;

  createDeviceFlow(flow: DeviceFlowWithRequester): Promise<void>;
  findDeviceFlow(deviceCodeHash: string): Promise<DeviceFlowRecord | undefined>;
  findDeviceFlowByUserCode(userCode: string): Promise<DeviceFlowWithRequester | undefined>;
  recordDevicePoll(deviceCodeHash: string, nowMs: number, slowDown: boolean): Promise<void>;
  /** PENDING → APPROVED; creates the client (without a secret yet). */
  approveDeviceFlow(userCode: string, userId: string, nowMs: number): Promise<DeviceFlowRecord>;
  denyDeviceFlow(userCode: string): Promise<DeviceFlowRecord>;
  cancelDeviceFlow(deviceCodeHash: string): Promise<void>;
  /** APPROVED → CONSUMED, storing the hash of the one-shot secret handed to the agent. */
  consumeDeviceFlow(deviceCodeHash: string, secretHash: string): Promise<ClientRecord>;

  getClient(clientId: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  /** New secret hash; every token of the client is revoked in the same transaction. */
  setClientSecret(clientId: string, secretHash: string): Promise<void>;
  /** One active token per client: inserting a token deletes the others. */
  replaceClientToken(clientId: string, tokenHash: string, expiresAtMs: number): Promise<void>;
  revokeClientTokens(clientId: string): Promise<number>;
  /**
   * `request` (on this and the two agent lookups below): the request the lookup is for. A store
   * that keeps lookups in memory checks they are current once per request, at its first lookup;
   * the request is then served as of that moment (a revocation committed after it takes effect
   * from the next request on), unless it was deferred (authChecks).
   */
  findClientByToken(
    tokenHash: string,
    nowMs: number,
    request?: object,
  ): Promise<ClientRecord | undefined>;

  getAgent(agentId: string, request?: object): Promise<AgentRecord | undefined>;
  /**
   * Optional (a store that keeps lookups in memory): the job routes defer a request's auth check
   * (its lookups answered from memory without first reading whether they are current) and hand
   * `versionOf` to a verb that checks it where the request takes effect (NonceUse.authVersion,
   * ListClaimableJobsInput.authVersion), so a revocation committed at any time before that
   * refuses the request (AuthChangedError, then `recheck` and again).
   */
  readonly authChecks?: DeferredAuthChecks;
  saveAgent(agent: AgentRecord): Promise<void>;
  touchAgent(agentId: string, nowMs: number): Promise<void>;
  listAgents(): Promise<AgentRecord[]>;
  /** The client's most recently registered agent (who an unnamed GET /jobs poll is for). */
  latestAgentOfClient(clientId: string, request?: object): Promise<AgentRecord | undefined>;
  agentJobDigest(agentId: string): Promise<AgentJobDigest>;
  /** False when the nonce was already seen for this agent inside the window (replay). */
  rememberNonce(agentId: string, nonce: string, nowMs: number, windowMs: number): Promise<boolean>;
  logSecurityEvent(kind: string, detail: Record<string, unknown>): Promise<void>;
  listSecurityEvents(): Promise<{ kind: string; detail: Record<string, unknown> }[]>;

  loadScanIndex(): Promise<ScanIndexEntry[]>;
  /**
   * A number that changes whenever any writer (any process, any replica) commits a change to what
   * loadScanIndex returns: an asset inserted or deleted, or its path, size, mtime, stable count,
   * sidecars or scan phase changed. Kept by triggers in the database itself, so no writer can
   * forget it; job commits that only move an asset between settled states leave it alone.
   */
  scanIndexVersion(): Promise<number>;
  /**
   * Assets that have moved away from where they were discovered, whose discovery path starts
   * with one of `prefixes` (`inbox/dir/stem.`, compared after ASCII lower-casing). Sidecar
   * ownership asks this only for sidecars about to be attached (docs/storage-safety.md).
   */
  listMovedAssetsDiscoveredAs(prefixes: string[]): Promise<MovedAssetOrigin[]>;
  applyScan(changes: ScanChanges, flags: FeatureFlags, nowMs: number): Promise<void>;
  getAsset(uuid: string): Promise<AssetRecord | undefined>;
  listAssets(filter: AssetListFilter): Promise<AssetRecord[]>;
  listDerived(uuid: string): Promise<DerivedFileRecord[]>;
  /** The derived files of a page of assets in one read (every uuid has an entry, maybe empty). */
  listDerivedOf(uuids: string[]): Promise<Map<string, DerivedFileRecord[]>>;
  findDerivedByUpload(uploadId: string): Promise<DerivedFileRecord | undefined>;

  getJob(jobId: string): Promise<JobRecord | undefined>;
  listPendingJobs(): Promise<JobRecord[]>;
  /** Oldest pending jobs the agent may claim now, with their assets (GET /jobs). */
  listClaimableJobs(input: ListClaimableJobsInput): Promise<ClaimableJob[]>;
  listAssetJobs(uuid: string): Promise<JobRecord[]>;
  listJobClaims(jobId: string): Promise<JobClaimRecord[]>;
  claimJob(input: ClaimJobInput): Promise<{ job: JobRecord; asset: AssetRecord }>;
  extendLease(proof: LeaseProof, leaseTtlMs: number): Promise<JobRecord>;
  completeJob(input: CompleteJobInput): Promise<CompleteJobResult>;
  /**
   * Optional (additive): claimJob with the signed request's nonce recorded in the same
   * transaction, one commit instead of two. A nonce already seen in its window refuses the
   * request before the claim is tried; a failed claim still spends the nonce. Without it the
   * routes call rememberNonce, then claimJob.
   */
  claimJobOnce?(input: ClaimJobInput, nonce: NonceUse): Promise<ClaimOnceResult>;
  /**
   * Optional (additive): completeJob with the nonce and the Idempotency-Key record in the same
   * transaction (one commit instead of four). Order: nonce, then the key (an used key answers as
   * beginIdempotent does and completes nothing), then the completion, whose response
   * (`respond`, run inside the transaction) is stored under the key with status 200. A failed
   * completion still spends the nonce and leaves the key unused. Without it the routes call
   * rememberNonce, beginIdempotent, completeJob, finishIdempotent.
   */
  completeJobOnce?(
    input: CompleteJobInput,
    nonce: NonceUse,
    idem: IdempotentWrite,
    respond: (result: CompleteJobResult) => unknown,
  ): Promise<CompleteOnceResult>;
  failJob(input: FailJobInput): Promise<JobRecord>;
  expireLeases(nowMs: number): Promise<string[]>;

  beginIdempotent(
    scope: IdempotencyScope,
    requestSha256: string,
    nowMs: number,
  ): Promise<IdempotencyBegin>;
  finishIdempotent(scope: IdempotencyScope, statusCode: number, body: unknown): Promise<void>;
  abandonIdempotent(scope: IdempotencyScope): Promise<void>;

  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRecord | undefined>;
  saveUploadPart(part: UploadPartRecord): Promise<void>;
  listUploadParts(uploadId: string): Promise<UploadPartRecord[]>;
  markUploadCompleted(uploadId: string, sha256: string, expiresAtMs: number): Promise<void>;
  listExpiredUploads(nowMs: number): Promise<UploadRecord[]>;
  markUploadExpired(uploadId: string): Promise<void>;
  /** Unpublished uploads of one agent and their declared bytes (quota at init). */
  agentUploadUsage(agentId: string, nowMs: number): Promise<AgentUploadUsage>;

  /** Ports of the moves domain (journal, locks, audit, asset paths/state). */
  readonly moveJournal: MoveJournal;
  /** What the /ops endpoints read and record (./ops-store.ts, docs/operations.md). */
  readonly ops: OpsStore;
  assetRecords(storageId: string): AssetRecords;
  /** Assets under a live move/purge lock. */
  lockedAssetUuids(nowMs: number): Promise<Set<string>>;
  /** Human PATCH (decision, profile choice, tags, notes); CAS on `expectedRevision`. */
  patchAsset(
    input: HumanMutationInput & { patch: HumanPatch; flags: FeatureFlags },
  ): Promise<AssetRecord>;
  reopenAsset(input: HumanMutationInput): Promise<AssetRecord>;
  /** Human decisions (KEEP / REJECT / CLEAR) of the asset, oldest first. */
  listDecisionHistory(uuid: string): Promise<DecisionHistoryEntry[]>;
  /** Returns the dropped derived files' storage-relative paths (to delete after commit). */
  reprocessAsset(
    input: HumanMutationInput & { flags: FeatureFlags },
  ): Promise<{ asset: AssetRecord; droppedDerived: string[] }>;

  /** Drops nonces and idempotency keys older than their windows. */
  pruneExpired(nowMs: number, nonceWindowMs: number, idempotencyWindowMs: number): Promise<void>;
  /** Bounds the tables strangers can grow (security events, device flows) by age and count. */
  pruneSecurityRecords(input: SecurityPruneInput): Promise<SecurityRowCounts>;
  countSecurityRecords(): Promise<SecurityRowCounts>;
  /**
   * Rate-limit budgets shared by every process on this database (replicas). Absent: the
   * database has one process (SQLite), which keeps its budgets in memory.
   */
  attemptBudgets?(clock: () => number): AttemptBudgets;
}
