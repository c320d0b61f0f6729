// Row → record conversion for the tables whose columns hold JSON or integer booleans.
import type {
  AgentRecord,
  AssetRecord,
  JobClaimRecord,
  JobRecord,
  UploadRecord,
} from '../records.js';

type Row = Record<string, unknown>;

export function mapAsset(r: Row): AssetRecord {
  return {
    ...(r as unknown as AssetRecord),
    sidecars: JSON.parse(r.sidecars as string),
    facts: JSON.parse(r.facts as string),
    transcript: r.transcript ? JSON.parse(r.transcript as string) : null,
    tags: JSON.parse((r.tags as string | undefined) ?? '[]'),
    path_history: JSON.parse((r.path_history as string | undefined) ?? '[]'),
  };
}

export function mapJob(r: Row): JobRecord {
  return {
    ...(r as unknown as JobRecord),
    required_capabilities: JSON.parse(r.required_capabilities as string),
  };
}

export function mapClaim(r: Row): JobClaimRecord {
  return {
    ...(r as unknown as JobClaimRecord),
    retryable: r.retryable === null || r.retryable === undefined ? null : r.retryable === 1,
  };
}

export function mapAgent(r: Row): AgentRecord {
  return {
    ...(r as unknown as AgentRecord),
    capabilities: JSON.parse(r.capabilities as string),
    effective_capabilities: JSON.parse(r.effective_capabilities as string),
    capability_warnings: JSON.parse(r.capability_warnings as string),
    identity_conflict: r.identity_conflict === 1,
  };
}

export function mapUpload(r: Row): UploadRecord {
  return r as unknown as UploadRecord;
}
