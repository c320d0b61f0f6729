// The one typed error of core-server. Domain code throws it with the contract error code, the
// HTTP status, an operator-facing message and whether a retry can help; the HTTP layer turns it
// into the contract's ErrorResponse without guessing.
import type { ErrorCode } from '@retaia/protocol';

export class CoreError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly httpStatus: number,
    message: string,
    readonly retryable = false,
    readonly details?: Record<string, unknown>,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export const unauthorized = (message = 'authentication required') =>
  new CoreError('UNAUTHORIZED', 401, message);

export const validationFailed = (message: string, details?: Record<string, unknown>) =>
  new CoreError('VALIDATION_FAILED', 422, message, false, details);

/**
 * The contract has no NOT_FOUND code; a missing resource is reported as 404 VALIDATION_FAILED
 * with the resource named in `details` (decision, see README).
 */
export const notFound = (resource: string, id: string) =>
  new CoreError('VALIDATION_FAILED', 404, `${resource} ${JSON.stringify(id)} not found`, false, {
    resource,
    id,
  });
