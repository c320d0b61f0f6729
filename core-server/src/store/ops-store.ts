// What the operations surface (GET /ops/readiness, /ops/jobs/queue, /ops/locks, /ops/ingest/*,
// docs/operations.md) reads and writes, as one small port every store backend implements
// (`CoreStore.ops`). Only plain counts, rows and ISO times cross it: the HTTP shapes, stale-lock
// policy and readiness rules live above it, so SQLite and PostgreSQL answer the same questions
// and nothing else. Times are ISO-8601 UTC strings (`toISOString()`), milliseconds are epoch ms.
import type { AssetLockKind } from '../moves/index.js';

/** Counts of one job type (statuses `pending`, `claimed`, `failed`; `completed` is not counted). */
export interface JobQueueTypeCounts {
  job_type: string;
  pending: number;
  claimed: number;
  failed: number;
  /** `created_at` of the oldest pending job of the type; null when none is pending. */
  oldest_pending_created_at: string | null;
}

/** Kinds of operation lock: the moves domain's asset locks, and job leases held by agents. */
export type OperationLockType = AssetLockKind | 'job_lease';

export interface OperationLock {
  /** `<asset_uuid>:<kind>` for an asset lock, the job id for a job lease. */
  id: string;
  asset_uuid: string;
  lock_type: OperationLockType;
  /** Lock owner (a Core process) or, for a lease, the agent id. */
  actor_id: string;
  acquired_at: string;
  /** When the holder must have refreshed it by; past it, anyone may take the lock over. */
  expires_at: string;
}

export interface OperationLockFilter {
  assetUuid?: string;
  lockType?: string;
  limit: number;
  offset: number;
}

/** An asset lock taken before a cut-off and no longer refreshed (its TTL has run out). */
export interface StaleAssetLock {
  asset_uuid: string;
  kind: AssetLockKind;
  owner: string;
  acquired_at_ms: number;
}

export type UnmatchedSidecarReason = 'missing_parent' | 'ambiguous_parent' | 'disabled_by_policy';

export interface UnmatchedSidecar {
  /** Storage-relative path (`INBOX/…`). */
  path: string;
  reason: UnmatchedSidecarReason;
}

export interface UnmatchedSidecarRow extends UnmatchedSidecar {
  /** When this path was first seen unmatched for this reason. */
  detected_at: string;
}

/** What one discovery scan found that did not become (or stopped being) an asset. */
export interface IngestScanSnapshot {
  /** Every sidecar of INBOX no media file owns right now (the full list, not a delta). */
  unmatched: UnmatchedSidecar[];
  /** Assets recorded under INBOX whose file the scan did not find. */
  missing: number;
  finishedAtMs: number;
}

export interface IngestCounters {
  /** Assets found but not yet processed: DISCOVERED (settling) or READY (waiting for agents). */
  queued: number;
  missing: number;
  unmatched_sidecars: number;
  /** End of the last recorded scan (by whichever replica scanned); null before the first one. */
  last_scan_at: string | null;
}

export interface OpsStore {
  /** One round trip to the database; throws when it cannot answer. */
  ping(): Promise<void>;
  /** Jobs per type that are pending, claimed or failed, ordered by job type. */
  jobQueueByType(): Promise<JobQueueTypeCounts[]>;
  /** Asset locks and claimed jobs' leases, `acquired_at` newest first, paged after filtering. */
  listOperationLocks(
    filter: OperationLockFilter,
  ): Promise<{ items: OperationLock[]; total: number }>;
  /** Asset locks taken at or before `acquiredBeforeMs` whose TTL has run out by `nowMs`. */
  listStaleAssetLocks(acquiredBeforeMs: number, nowMs: number): Promise<StaleAssetLock[]>;
  /**
   * Drops the lock only if it is still exactly that one (same owner, same acquisition) and still
   * expired at `nowMs`: a holder that refreshed or a new owner keeps it. True when dropped.
   */
  dropStaleAssetLock(lock: StaleAssetLock, nowMs: number): Promise<boolean>;
  /**
   * Replaces the unmatched-sidecar list with the scan's, in one transaction. A path still
   * unmatched for the same reason keeps its `detected_at`; new ones get `finishedAtMs`.
   */
  recordIngestScan(snapshot: IngestScanSnapshot): Promise<void>;
  ingestCounters(): Promise<IngestCounters>;
  /** `last_scan_at` alone: the readiness probe asks often and needs nothing else. */
  lastIngestScanAt(): Promise<string | null>;
  /** Unmatched sidecars, `detected_at` newest first (then path), and the total before `limit`. */
  listUnmatchedSidecars(filter: {
    reason?: UnmatchedSidecarReason;
    /** ISO time; rows detected at or after it. */
    since?: string;
    limit: number;
  }): Promise<{ items: UnmatchedSidecarRow[]; total: number }>;
  /**
   * Assets whose original is at `relativePath`, or (with `includeSidecars`) that hold it as a
   * sidecar; uuids sorted (one at most in practice: paths and sidecars have a single owner).
   */
  assetUuidsAtPath(relativePath: string, includeSidecars: boolean): Promise<string[]>;
}
