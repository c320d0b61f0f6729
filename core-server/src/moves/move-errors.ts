// Typed errors of the moves domain. Each carries the contract error code and HTTP status the
// HTTP layer maps it to, plus an operator-facing message and whether a retry can help, so route
// handlers never have to guess (docs/asset-states.md: anything outside the transition table is 409).
import type { ErrorCode } from '@retaia/protocol';

export abstract class MoveDomainError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly httpStatus: number;
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class StateConflictError extends MoveDomainError {
  readonly code = 'STATE_CONFLICT' as const;
  readonly httpStatus = 409;
  readonly retryable = false;
}

export class NameCollisionExhaustedError extends MoveDomainError {
  readonly code = 'NAME_COLLISION_EXHAUSTED' as const;
  readonly httpStatus = 409;
  readonly retryable = false;
}

/** The asset is held by a live `asset_move_lock` / `asset_purge_lock` of another owner. */
export class AssetLockedError extends MoveDomainError {
  readonly code = 'STATE_CONFLICT' as const;
  readonly httpStatus = 409;
  readonly retryable = true;
}

/** A path would leave the storage root (`..`, absolute, NUL, or a symlink pointing outside). */
export class StoragePathError extends MoveDomainError {
  readonly code = 'VALIDATION_FAILED' as const;
  readonly httpStatus = 422;
  readonly retryable = false;
}

/** The filesystem does not look like the asset record says (missing original, foreign file…). */
export class StorageMismatchError extends MoveDomainError {
  readonly code = 'STATE_CONFLICT' as const;
  readonly httpStatus = 409;
  readonly retryable = false;
}
