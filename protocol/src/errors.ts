// Error codes of the contract's `ErrorResponse` and the body shape every 4xx/5xx carries.

export const ERROR_CODES = [
  'UNAUTHORIZED',
  'EMAIL_NOT_VERIFIED',
  'FORBIDDEN_SCOPE',
  'FORBIDDEN_ACTOR',
  'USER_NOT_FOUND',
  'STATE_CONFLICT',
  'IDEMPOTENCY_CONFLICT',
  'STALE_LOCK_TOKEN',
  'NAME_COLLISION_EXHAUSTED',
  'PURGED',
  'VALIDATION_FAILED',
  'INVALID_TOKEN',
  'LOCK_REQUIRED',
  'LOCK_INVALID',
  'TOO_MANY_ATTEMPTS',
  'MFA_REQUIRED',
  'INVALID_2FA_CODE',
  'MFA_ALREADY_ENABLED',
  'MFA_NOT_ENABLED',
  'INVALID_DEVICE_CODE',
  'EXPIRED_DEVICE_CODE',
  'UNSUPPORTED_FEATURE_FLAGS_CONTRACT_VERSION',
  'SLOW_DOWN',
  'TEMPORARY_UNAVAILABLE',
  'PRECONDITION_REQUIRED',
  'PRECONDITION_FAILED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorResponse {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryable: boolean;
  correlation_id: string;
}

export function isErrorResponse(value: unknown): value is ErrorResponse {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    typeof v.message === 'string' &&
    typeof v.retryable === 'boolean' &&
    typeof v.correlation_id === 'string'
  );
}
