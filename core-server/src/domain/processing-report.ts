// What a human needs to know about an asset's review jobs, as contract `AssetFields` entries
// (the contract has no failed state nor a job list on the asset; docs/review-page.md):
// `processing_failed_jobs` (job types that failed for good), `processing_failure` (the agents'
// own human messages, e.g. "Empty file (0 bytes)"), `processing_failure_codes` (machine codes),
// and the progress counters `processing_jobs_total` / `processing_jobs_done` /
// `processing_jobs_running`.
import type { JobRecord } from '../store/records.js';

export type ProcessingFields = Record<string, string | number | string[]>;

export function processingFields(jobs: JobRecord[]): ProcessingFields {
  if (jobs.length === 0) return {};
  const fields: ProcessingFields = {
    processing_jobs_total: jobs.length,
    processing_jobs_done: jobs.filter((j) => j.status === 'completed').length,
    processing_jobs_running: jobs.filter((j) => j.status === 'claimed').map((j) => j.job_type),
  };
  const failed = jobs.filter((j) => j.status === 'failed');
  if (failed.length) {
    fields.processing_failed_jobs = failed.map((j) => j.job_type);
    fields.processing_failure_codes = failed.map((j) => j.last_error_code ?? 'UNKNOWN');
    const messages = failed.map(
      (j) =>
        j.last_error_message?.trim() ||
        `${j.job_type} failed (${j.last_error_code ?? 'no reason given'})`,
    );
    fields.processing_failure = [...new Set(messages)].join(' · ');
  }
  return fields;
}
