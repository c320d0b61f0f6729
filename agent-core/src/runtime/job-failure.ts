// What a failed job tells Core (`POST /jobs/{id}/fail`): the code, a human message and whether
// another attempt could succeed. Processors and source checks say it themselves; Core's own
// answers are read by status: a result Core refused as invalid (422) or too large (413) fails the
// same way on every agent, so retrying it would only burn attempts, while transport trouble and
// Core being busy or down are worth another attempt.
import { SourceResolutionError } from '../config/storage-mount.js';
import { CoreApiError } from '../core-api/core-api-errors.js';
import { ProcessingError } from '../processing/processor.js';

export interface JobFailure {
  code: string;
  message: string;
  retryable: boolean;
}

const REFUSED_RESULT_STATUSES = new Set([413, 422]);

export function classifyJobFailure(err: unknown): JobFailure {
  if (err instanceof ProcessingError || err instanceof SourceResolutionError) {
    return { code: err.code, message: err.message, retryable: err.retryable };
  }
  if (err instanceof CoreApiError) {
    if (REFUSED_RESULT_STATUSES.has(err.status)) {
      return {
        code: 'RESULT_REFUSED',
        message: `Core refused this job's result: ${err.message}`,
        retryable: false,
      };
    }
    return { code: 'UPLOAD_FAILED', message: err.message, retryable: true };
  }
  return { code: 'AGENT_ERROR', message: (err as Error)?.message ?? String(err), retryable: true };
}
