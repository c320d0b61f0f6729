// TypeScript shapes of the Retaia v1 wire format (contract: protocol/contract/retaia-openapi-v1.yaml).
// Field names are the contract's, byte for byte; both the agent and core-server import these so a
// rename cannot drift between the two halves.

export const API_PREFIX = '/api/v1';

export const JOB_TYPES = [
  'extract_facts',
  'generate_preview',
  'generate_thumbnails',
  'generate_audio_waveform',
  'transcribe_audio',
] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATUSES = ['pending', 'claimed', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const ASSET_STATES = [
  'DISCOVERED',
  'READY',
  'PROCESSING_REVIEW',
  'REVIEW_PENDING_PROFILE',
  'PROCESSED',
  'DECISION_PENDING',
  'DECIDED_KEEP',
  'DECIDED_REJECT',
  'ARCHIVED',
  'REJECTED',
  'PURGED',
] as const;
export type AssetState = (typeof ASSET_STATES)[number];

export const MEDIA_TYPES = ['VIDEO', 'PHOTO', 'AUDIO'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export const PROCESSING_PROFILES = [
  'video_standard',
  'audio_undefined',
  'audio_music',
  'audio_voice',
  'photo_standard',
] as const;
export type ProcessingProfile = (typeof PROCESSING_PROFILES)[number];

export const DERIVED_KINDS = [
  'preview_video',
  'preview_audio',
  'preview_photo',
  'thumb',
  'waveform',
] as const;
export type DerivedKind = (typeof DERIVED_KINDS)[number];

export interface AssetPaths {
  storage_id: string;
  original_relative: string;
  sidecars_relative?: string[];
}

export interface Job {
  job_id: string;
  job_type: JobType;
  status: JobStatus;
  asset_uuid: string;
  source: AssetPaths;
  required_capabilities: string[];
  claimed_by?: string | null;
  lock_token?: string | null;
  fencing_token?: number | null;
  locked_until?: string | null;
}

/** A job as returned by a successful claim: the lease fields are always set. */
export interface ClaimedJob extends Job {
  lock_token: string;
  fencing_token: number;
  locked_until: string;
}

export interface FactsPatch {
  duration_ms?: number;
  media_format?: string;
  video_codec?: string;
  audio_codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  captured_at?: string;
  exposure_time_s?: number;
  aperture_f_number?: number;
  iso?: number;
  focal_length_mm?: number;
  camera_make?: string;
  camera_model?: string;
  lens_model?: string;
  orientation?: number;
  bitrate_kbps?: number;
  sample_rate_hz?: number;
  channel_count?: number;
  bits_per_sample?: number;
  rotation_deg?: number;
  timecode_start?: string;
  pixel_format?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  recorder_model?: string;
  gps_latitude?: number;
  gps_longitude?: number;
  gps_altitude_m?: number;
  gps_altitude_relative_m?: number;
  gps_altitude_absolute_m?: number;
  exposure_compensation_ev?: number;
  color_mode?: string;
  color_temperature_k?: number;
  has_dji_metadata_track?: boolean;
  dji_metadata_track_types?: string[];
}

export type TranscriptStatus = 'NONE' | 'RUNNING' | 'DONE' | 'FAILED';

export interface TranscriptPatch {
  status?: TranscriptStatus;
  text?: string | null;
  text_preview?: string | null;
  language?: string | null;
  updated_at?: string;
}

export interface DerivedManifestEntry {
  kind: DerivedKind;
  /** Decision (docs/protocol.md#job-types-and-outputs): the `upload_id` of a completed upload. */
  ref: string;
  size_bytes?: number;
  sha256?: string;
}

export interface DerivedPatch {
  derived_manifest?: DerivedManifestEntry[];
}

interface SubmitBase {
  lock_token: string;
  fencing_token: number;
}
type ResultExtras = { warnings?: string[]; metrics?: Record<string, unknown> };

export type JobSubmitRequest =
  | (SubmitBase & { job_type: 'extract_facts'; result: { facts_patch: FactsPatch } & ResultExtras })
  | (SubmitBase & {
      job_type: 'generate_preview' | 'generate_thumbnails' | 'generate_audio_waveform';
      result: { derived_patch: DerivedPatch } & ResultExtras;
    })
  | (SubmitBase & {
      job_type: 'transcribe_audio';
      result: { transcript_patch: TranscriptPatch } & ResultExtras;
    });

export interface JobFailRequest {
  lock_token: string;
  fencing_token: number;
  error_code: string;
  message?: string;
  retryable: boolean;
}

export interface HeartbeatRequest {
  lock_token: string;
  fencing_token: number;
}

export interface HeartbeatResponse {
  locked_until: string;
  fencing_token: number;
}

export type FeatureFlags = Record<string, boolean>;

export interface ServerPolicy {
  feature_flags: FeatureFlags;
  feature_flags_contract_version: string;
  effective_feature_flags_contract_version: string;
  accepted_feature_flags_contract_versions: string[];
  feature_flags_compatibility_mode: 'STRICT' | 'COMPAT';
  min_poll_interval_seconds?: number;
  max_parallel_jobs_allowed?: number;
  allowed_job_types?: string[];
  quiet_hours?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface AppPolicyResponse {
  server_policy: ServerPolicy;
}

export type OsName = 'linux' | 'macos' | 'windows';
export type Arch = 'x86_64' | 'arm64' | 'armv7' | 'other';

export interface AgentRegisterRequest {
  agent_id: string;
  agent_name: string;
  agent_version: string;
  openpgp_public_key: string;
  openpgp_fingerprint: string;
  os_name: OsName;
  os_version: string;
  arch: Arch;
  capabilities: string[];
  client_feature_flags_contract_version?: string;
  max_parallel_jobs?: number;
}

export interface AgentRegisterResponse {
  agent_id: string;
  effective_capabilities: string[];
  capability_warnings: string[];
  server_policy: ServerPolicy;
}

export interface DeviceStartRequest {
  client_kind: 'AGENT';
  client_label?: string;
}
export interface DeviceStartResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}
export type DevicePollResponse =
  | { status: 'PENDING'; interval?: number }
  | {
      status: 'APPROVED';
      client_id: string;
      client_kind: 'AGENT';
      secret_key: string;
      approved_at: string;
      approved_by_user_id: string;
    }
  | { status: 'DENIED' }
  | { status: 'EXPIRED' };

export interface ClientTokenRequest {
  client_id: string;
  client_kind: 'AGENT';
  secret_key: string;
}
export interface ClientTokenResponse {
  client_id: string;
  client_kind: 'AGENT';
  access_token: string;
  token_type: 'Bearer';
  expires_in?: number;
}

export interface UploadInitRequest {
  kind: DerivedKind;
  content_type: string;
  size_bytes: number;
  sha256?: string;
}
/** Decision (docs/protocol.md#job-types-and-outputs): the contract leaves the init response open; this is ours. */
export interface UploadInitResponse {
  upload_id: string;
  max_part_size_bytes: number;
  expires_at: string;
}
export interface UploadPartResponse {
  part_etag: string;
}
export interface UploadCompleteRequest {
  upload_id: string;
  parts?: { part_number: number; part_etag: string }[];
}

export interface AssetSummary {
  uuid: string;
  name?: string;
  media_type: MediaType;
  state: AssetState;
  created_at: string;
  updated_at: string | null;
  revision_etag: string | null;
  captured_at?: string | null;
  duration?: number | null;
  tags?: string[];
  has_preview?: boolean;
  thumb_url?: string | null;
}

export interface AssetDerived {
  preview_video_url?: string | null;
  preview_audio_url?: string | null;
  preview_photo_url?: string | null;
  waveform_url?: string | null;
  thumbs?: string[];
}

export interface AssetTranscript {
  status?: TranscriptStatus;
  text?: string | null;
  text_preview?: string | null;
  language?: string | null;
  updated_at?: string;
}

export interface AssetDetail {
  summary: AssetSummary;
  notes?: string | null;
  fields?: Record<string, string | number | boolean | string[] | number[] | boolean[]>;
  gps_latitude?: number | null;
  gps_longitude?: number | null;
  gps_altitude_m?: number | null;
  paths: AssetPaths;
  processing: {
    facts_done?: boolean;
    thumbs_done?: boolean;
    preview_done?: boolean;
    waveform_done?: boolean;
    processing_profile?: ProcessingProfile;
    review_processing_version?: string;
  };
  derived: AssetDerived;
  transcript?: AssetTranscript;
  decisions: {
    current?: 'KEEP' | 'REJECT' | null;
    history?: { action: 'KEEP' | 'REJECT' | 'CLEAR'; at: string; by: string }[];
  };
  audit: {
    path_history?: string[];
    revision_history?: {
      revision: number;
      created_at: string;
      is_current: boolean;
      published_at?: string | null;
      validation_status: 'VALIDATED' | 'PENDING_VALIDATION' | 'REJECTED';
    }[];
  };
}
