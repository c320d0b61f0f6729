// Typed errors of the Core client. Each carries an operator-facing message and `retryable`;
// contract error codes are read here, at the HTTP boundary, and nowhere else.
import type { ErrorCode } from '@retaia/protocol';

export class CoreApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'HTTP_ERROR',
    message: string,
    readonly retryable: boolean,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CoreApiError';
  }
}

/** 409 STALE_LOCK_TOKEN or 423 LOCK_*: the job's lease belongs to someone else now. */
export class LeaseLostError extends CoreApiError {
  constructor(status: number, code: ErrorCode | 'HTTP_ERROR', message: string) {
    super(status, code, message, false);
    this.name = 'LeaseLostError';
  }
}

/** 401 after a fresh token, or no credentials: the agent must be enrolled (again). */
export class AuthRequiredError extends CoreApiError {
  constructor(message: string) {
    super(401, 'UNAUTHORIZED', message, false);
    this.name = 'AuthRequiredError';
  }
}

/** Core could not be reached (after the retries allowed for this call). */
export class CoreUnreachableError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreUnreachableError';
  }
}

/** The caller's AbortSignal fired while a call was in flight or backing off. */
export class RequestAbortedError extends Error {
  readonly retryable = true;
  constructor(reason?: unknown) {
    super(`request aborted${reason ? `: ${String(reason)}` : ''}`);
    this.name = 'RequestAbortedError';
  }
}

export function isLeaseLost(err: unknown): err is LeaseLostError {
  return err instanceof LeaseLostError;
}

/**
 * Core's TLS certificate is not trusted, or differs from the one pinned for this Core. Never
 * retried: the agent stays stopped until the user fixes core_ca_file or accepts the new
 * certificate (`retaia-agent certificate accept`, or the desktop's Trust button).
 */
export class CoreCertificateError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly kind: 'untrusted' | 'changed' | 'ca_file',
    readonly pinned?: string,
    readonly presented?: string,
  ) {
    super(message);
    this.name = 'CoreCertificateError';
  }
}
