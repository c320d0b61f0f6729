// The inputs and results of CoreStore's verbs. They belong to the interface, not to a backend:
// the SQLite implementation (./sqlite/) and any later one import them from here, and routes and
// jobs never have to reach into a backend to name what they pass.
import type {
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
}

/** A pending job and its asset. Shared between polls: callers must treat them as read-only. */
export interface ClaimableJob {
  job: JobRecord;
  asset: AssetRecord;
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
}

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
