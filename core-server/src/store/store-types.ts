// The inputs and results of CoreStore's verbs. They belong to the interface, not to a backend:
// the SQLite implementation (./sqlite/) and any later one import them from here, and routes and
// jobs never have to reach into a backend to name what they pass.
import type {
  AssetState,
  DerivedKind,
  FactsPatch,
  FeatureFlags,
  JobType,
  ProcessingProfile,
  TranscriptPatch,
} from '@retaia/protocol';
import type { AssetRecord, JobRecord } from './records.js';

// ---- job queue -----------------------------------------------------------------------------

/** What a worker shows to act on a claimed job: the claim's token and fencing number. */
export interface LeaseProof {
  jobId: string;
  agentId: string;
  lockToken: string;
  fencingToken: number;
  nowMs: number;
}

export interface ClaimJobInput {
  jobId: string;
  agentId: string;
  effectiveCapabilities: string[];
  flags: FeatureFlags;
  nowMs: number;
  leaseTtlMs: number;
}

export interface ListClaimableJobsInput {
  effectiveCapabilities: string[];
  flags: FeatureFlags;
  limit: number;
  nowMs: number;
  /**
   * The auth version the poller's lookups were answered as of (CoreStore.authChecks): a store
   * that has one checks it in the poll's own read and throws AuthChangedError when it moved.
   */
  authVersion?: number;
}

/** A pending job and its asset. Shared between polls: callers must treat them as read-only. */
/** What a poll answer takes from a job's asset (wireJob's `source`). */
export type ClaimableAsset = Pick<AssetRecord, 'uuid' | 'relative_path' | 'sidecars'>;

export interface ClaimableJob {
  job: JobRecord;
  asset: ClaimableAsset;
}

/** A derived file a submit publishes (its upload is moved into place after the commit). */
export interface PublishedDerived {
  kind: DerivedKind;
  upload_id: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  /** Final place under the storage root, e.g. `.derived/<uuid>/thumb-<upload_id>.webp`. */
  relative_path: string;
}

export interface CompleteJobInput extends LeaseProof {
  jobType: JobType;
  facts?: FactsPatch;
  derived?: PublishedDerived[];
  transcript?: TranscriptPatch;
  flags: FeatureFlags;
}

export interface CompleteJobResult {
  job: JobRecord;
  /** Derived files no longer referenced by the asset, to delete after the commit. */
  replacedFiles: string[];
  /**
   * The asset's state once the transaction committed (the submit answers it). Optional so a
   * backend may leave it out; the caller then reads the asset again.
   */
  assetState?: AssetState;
}

/**
 * A verified signed request's nonce, for the store verbs that record it in the same transaction
 * as the write it authorises (one commit per request; docs/core-performance.md).
 */
export interface NonceUse {
  agentId: string;
  nonce: string;
  nowMs: number;
  /** A nonce last seen longer ago than this is accepted again. */
  windowMs: number;
  /**
   * The auth version the signer's bearer and agent lookups were answered as of
   * (CoreStore.authChecks). A store that has one checks it inside the write's own transaction,
   * before the nonce, and throws AuthChangedError (nothing written) when it moved.
   */
  authVersion?: number;
}

/**
 * The credentials a request was authenticated with changed (a token revoked, an agent re-keyed)
 * between its lookups and the moment it would have committed. Nothing was written; the caller
 * authenticates again from the database (CoreStore.authChecks) and retries. Never on the wire.
 */
export class AuthChangedError extends Error {
  constructor() {
    super('credentials changed while the request ran');
    this.name = 'AuthChangedError';
  }
}

/** The Idempotency-Key record a submit is stored under, with what to answer a replay. */
export interface IdempotentWrite {
  scope: { actor: string; endpoint: string; key: string };
  requestSha256: string;
  nowMs: number;
}

/** A claim recorded with its nonce: the nonce was already spent, or the claim's result. */
export type ClaimOnceResult =
  { kind: 'nonce_replayed' } | { kind: 'claimed'; job: JobRecord; asset: AssetRecord };

/**
 * A completion recorded with its nonce and its Idempotency-Key: the nonce was already spent, the
 * key was already used (answered like beginIdempotent), or the completion and the response
 * stored under the key.
 */
export type CompleteOnceResult =
  | { kind: 'nonce_replayed' }
  | { kind: 'conflict' }
  | { kind: 'in_progress' }
  | { kind: 'replay'; statusCode: number; body: unknown }
  | { kind: 'completed'; result: CompleteJobResult; body: unknown };

export interface FailJobInput extends LeaseProof {
  errorCode: string;
  message: string | null;
  retryable: boolean;
  maxAttempts: number;
}

// ---- human mutations and their history -----------------------------------------------------

export interface HumanPatch {
  state?: 'DECISION_PENDING' | 'DECIDED_KEEP' | 'DECIDED_REJECT' | 'ARCHIVED' | 'REJECTED';
  processing_profile?: ProcessingProfile;
  tags?: string[];
  notes?: string | null;
}

export interface HumanMutationInput {
  uuid: string;
  expectedRevision: number;
  nowMs: number;
  /** The operator making the change (recorded in the decision history). */
  by: string;
}

export type DecisionAction = 'KEEP' | 'REJECT' | 'CLEAR';

export interface DecisionHistoryEntry {
  action: DecisionAction;
  at: string;
  /** The operator who decided (their email; the user id when no email is known). */
  by: string;
}

// ---- records strangers can make Core write, and upload quotas ------------------------------

export interface SecurityPruneInput {
  /** Events strictly older than this ISO time go. */
  eventsBefore: string;
  maxEvents: number;
  /** Flows that expired before this time go (whatever their status). */
  flowsExpiredBeforeMs: number;
  maxFlows: number;
}

export interface SecurityRowCounts {
  security_events: number;
  device_flows: number;
}

export interface AgentUploadUsage {
  open_uploads: number;
  declared_bytes: number;
}
