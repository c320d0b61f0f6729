// Plain records the store hands out. Field names follow the wire format where one exists so the
// HTTP layer maps them without renaming games.
import type {
  AssetState,
  DerivedKind,
  FactsPatch,
  JobStatus,
  JobType,
  MediaType,
  ProcessingProfile,
  TranscriptPatch,
} from '@retaia/protocol';

export interface UserRecord {
  user_id: string;
  email: string;
  password_hash: string;
  created_at: string;
}

export interface ClientRecord {
  client_id: string;
  client_kind: 'AGENT';
  label: string | null;
  secret_hash: string | null;
  approved_at: string;
  approved_by_user_id: string;
  created_at: string;
}

export type DeviceFlowStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'CANCELED' | 'CONSUMED';

export interface DeviceFlowRecord {
  device_code_hash: string;
  user_code: string;
  client_label: string | null;
  status: DeviceFlowStatus;
  interval_s: number;
  created_at_ms: number;
  expires_at_ms: number;
  last_poll_at_ms: number | null;
  slow_downs: number;
  client_id: string | null;
  approved_at: string | null;
  approved_by_user_id: string | null;
}

export interface AgentRecord {
  agent_id: string;
  client_id: string;
  agent_name: string;
  agent_version: string;
  os_name: string | null;
  os_version: string | null;
  arch: string | null;
  capabilities: string[];
  effective_capabilities: string[];
  capability_warnings: string[];
  max_parallel_jobs: number;
  public_key: string;
  fingerprint: string;
  identity_conflict: boolean;
  feature_flags_contract_version: string | null;
  last_seen_at: string;
  last_register_at: string;
  last_heartbeat_at: string | null;
}

export interface AssetRecord {
  uuid: string;
  media_type: MediaType;
  state: AssetState;
  relative_path: string;
  name: string;
  size_bytes: number;
  mtime_ms: number;
  stable_scans: number;
  profile: ProcessingProfile;
  sidecars: string[];
  facts: FactsPatch;
  transcript: TranscriptPatch | null;
  revision: number;
  created_at: string;
  updated_at: string | null;
  tags: string[];
  notes: string | null;
  /** Bumped by every explicit reprocess (outputs of older versions are discarded). */
  review_processing_version: number;
  /** Earlier `relative_path`s, oldest first (moves append here). */
  path_history: string[];
}

export interface JobRecord {
  job_id: string;
  asset_uuid: string;
  job_type: JobType;
  status: JobStatus;
  required_capabilities: string[];
  feature_flag: string | null;
  attempts: number;
  claimed_by: string | null;
  lock_token: string | null;
  fencing_token: number;
  locked_until_ms: number | null;
  claimed_at: string | null;
  completed_at: string | null;
  failed_at: string | null;
  last_error_code: string | null;
  /** The agent's human message of the latest ended claim (asset job listings only). */
  last_error_message?: string | null;
  created_at: string;
}

export interface JobClaimRecord {
  job_id: string;
  fencing_token: number;
  lock_token: string;
  agent_id: string;
  claimed_at: string;
  ended_at: string | null;
  outcome: 'completed' | 'failed' | 'retry' | 'expired' | null;
  error_code: string | null;
  message: string | null;
  retryable: boolean | null;
}

export type UploadStatus = 'OPEN' | 'COMPLETED' | 'PUBLISHED' | 'EXPIRED';

export interface UploadRecord {
  upload_id: string;
  asset_uuid: string;
  agent_id: string;
  kind: DerivedKind;
  content_type: string;
  size_bytes: number;
  sha256: string | null;
  status: UploadStatus;
  created_at: string;
  expires_at_ms: number;
}

export interface UploadPartRecord {
  upload_id: string;
  part_number: number;
  size_bytes: number;
  part_etag: string;
}

export interface DerivedFileRecord {
  asset_uuid: string;
  kind: DerivedKind;
  idx: number;
  upload_id: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  relative_path: string;
  created_at: string;
}

/** Derived files read for several assets at once, by asset (every asked uuid has an entry). */
export function groupDerived(
  uuids: string[],
  rows: DerivedFileRecord[],
): Map<string, DerivedFileRecord[]> {
  const byAsset = new Map<string, DerivedFileRecord[]>(uuids.map((u) => [u, []]));
  for (const row of rows) byAsset.get(row.asset_uuid)?.push(row);
  return byAsset;
}
