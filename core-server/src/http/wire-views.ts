// Records → contract shapes. The only place that knows how an asset or job looks on the wire.
import {
  API_PREFIX,
  JOB_TYPES,
  featureFlagFor,
  type AssetDerived,
  type AssetDetail,
  type AssetSummary,
  type FeatureFlags,
  type Job,
  type ServerPolicy,
} from '@retaia/protocol';
import { assetEtag } from '../domain/asset-etag.js';
import { processingFields } from '../domain/processing-report.js';
import type { CoreOptions } from '../config/core-options.js';
import type { DecisionHistoryEntry } from '../store/core-store.js';
import type { AssetRecord, DerivedFileRecord, JobRecord } from '../store/records.js';

export const FEATURE_FLAGS_CONTRACT_VERSION = '1.0.0';

export function wireJob(
  job: JobRecord,
  asset: Pick<AssetRecord, 'relative_path' | 'sidecars'>,
  storageId: string,
): Job {
  const claimed = job.status === 'claimed';
  return {
    job_id: job.job_id,
    job_type: job.job_type,
    status: job.status,
    asset_uuid: job.asset_uuid,
    source: {
      storage_id: storageId,
      original_relative: asset.relative_path,
      sidecars_relative: asset.sidecars,
    },
    required_capabilities: job.required_capabilities,
    claimed_by: claimed ? job.claimed_by : null,
    lock_token: claimed ? job.lock_token : null,
    fencing_token: claimed ? job.fencing_token : null,
    locked_until:
      claimed && job.locked_until_ms ? new Date(job.locked_until_ms).toISOString() : null,
  };
}

export function derivedUrl(uuid: string, kind: string, index?: number): string {
  const base = `${API_PREFIX}/assets/${uuid}/derived/${kind}`;
  return index === undefined ? base : `${base}?index=${index}`;
}

export function wireDerived(uuid: string, files: DerivedFileRecord[]): AssetDerived {
  const has = (kind: string) => files.some((f) => f.kind === kind);
  return {
    preview_video_url: has('preview_video') ? derivedUrl(uuid, 'preview_video') : null,
    preview_audio_url: has('preview_audio') ? derivedUrl(uuid, 'preview_audio') : null,
    preview_photo_url: has('preview_photo') ? derivedUrl(uuid, 'preview_photo') : null,
    waveform_url: has('waveform') ? derivedUrl(uuid, 'waveform') : null,
    thumbs: files.filter((f) => f.kind === 'thumb').map((f) => derivedUrl(uuid, 'thumb', f.idx)),
  };
}

export function wireSummary(asset: AssetRecord, files: DerivedFileRecord[]): AssetSummary {
  const firstThumb = files.find((f) => f.kind === 'thumb');
  return {
    uuid: asset.uuid,
    name: asset.name,
    media_type: asset.media_type,
    state: asset.state,
    created_at: asset.created_at,
    updated_at: asset.updated_at,
    revision_etag: assetEtag(asset.uuid, asset.revision),
    captured_at: asset.facts.captured_at ?? null,
    duration: asset.facts.duration_ms !== undefined ? asset.facts.duration_ms / 1000 : null,
    tags: asset.tags,
    has_preview: files.some((f) => f.kind.startsWith('preview_')),
    thumb_url: firstThumb ? derivedUrl(asset.uuid, 'thumb', firstThumb.idx) : null,
  };
}

type FieldValue = NonNullable<AssetDetail['fields']>[string];

/**
 * `fields`: the scalar facts (what the review page shows), plus the review jobs' progress and
 * permanent failures with the agents' human messages (see domain/processing-report.ts).
 */
function wireFields(asset: AssetRecord, jobs: JobRecord[]): Record<string, FieldValue> {
  const fields: Record<string, FieldValue> = {};
  for (const [k, v] of Object.entries(asset.facts)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
  }
  return { ...fields, ...processingFields(jobs) };
}

const DECISION_OF: Partial<Record<AssetRecord['state'], 'KEEP' | 'REJECT'>> = {
  DECIDED_KEEP: 'KEEP',
  DECIDED_REJECT: 'REJECT',
  ARCHIVED: 'KEEP',
  REJECTED: 'REJECT',
};

export function wireDetail(
  asset: AssetRecord,
  files: DerivedFileRecord[],
  storageId: string,
  jobs: JobRecord[] = [],
  decisionHistory: DecisionHistoryEntry[] = [],
): AssetDetail {
  const has = (kind: string) => files.some((f) => f.kind === kind);
  const detail: AssetDetail = {
    summary: wireSummary(asset, files),
    notes: asset.notes,
    fields: wireFields(asset, jobs),
    gps_latitude: asset.facts.gps_latitude ?? null,
    gps_longitude: asset.facts.gps_longitude ?? null,
    gps_altitude_m: asset.facts.gps_altitude_m ?? null,
    paths: {
      storage_id: storageId,
      original_relative: asset.relative_path,
      sidecars_relative: asset.sidecars,
    },
    processing: {
      facts_done: Object.keys(asset.facts).length > 0,
      thumbs_done: has('thumb'),
      preview_done: files.some((f) => f.kind.startsWith('preview_')),
      waveform_done: has('waveform'),
      processing_profile: asset.profile,
      review_processing_version: String(asset.review_processing_version),
    },
    derived: wireDerived(asset.uuid, files),
    decisions: { current: DECISION_OF[asset.state] ?? null, history: decisionHistory },
    audit: { path_history: [...asset.path_history, asset.relative_path] },
  };
  if (asset.transcript) detail.transcript = asset.transcript;
  return detail;
}

export function serverPolicy(options: CoreOptions, flags: FeatureFlags): ServerPolicy {
  return {
    feature_flags: { ...flags },
    feature_flags_contract_version: FEATURE_FLAGS_CONTRACT_VERSION,
    effective_feature_flags_contract_version: FEATURE_FLAGS_CONTRACT_VERSION,
    accepted_feature_flags_contract_versions: [FEATURE_FLAGS_CONTRACT_VERSION],
    feature_flags_compatibility_mode: 'STRICT',
    min_poll_interval_seconds: options.minPollIntervalSeconds,
    max_parallel_jobs_allowed: options.maxParallelJobsAllowed,
    allowed_job_types: JOB_TYPES.filter((t) => {
      const flag = featureFlagFor(t);
      return !flag || flags[flag] === true;
    }),
    quiet_hours: {},
  };
}
