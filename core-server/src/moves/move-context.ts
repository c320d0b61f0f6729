// What applying decisions and purging need from the server: the storage layout, the move
// journal, the asset records, a lock owner and clock, a logger, and (tests only) crash hooks.
import type { AssetRecords, MoveJournal } from './move-journal.js';
import type { StorageLayout } from './storage-root.js';

/** Points between steps where a test hook may inject a crash (see `MoveContext.hooks`). */
export type MoveHookPoint =
  | 'lock_acquired'
  | 'planned'
  | 'file_linked'
  | 'file_moved'
  | 'files_applied'
  | 'recorded'
  | 'lock_released';

export interface MoveLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MoveContext {
  storage: StorageLayout;
  journal: MoveJournal;
  assets: AssetRecords;
  /** Lock owner of this process; defaults to a random id per context. */
  owner?: string;
  now?: () => Date;
  lockTtlMs?: number;
  logger?: MoveLogger;
  /**
   * Fault injection for tests. An error thrown by a hook aborts the operation exactly like a
   * process crash at that point: no cleanup, the journal stays as written, recovery resumes it.
   */
  hooks?: {
    at?(point: MoveHookPoint, info: { asset_uuid: string; operation_id: string }): unknown;
  };
}

/** Wraps an error thrown by a test hook so the operation skips its cleanup (simulated crash). */
export class InjectedCrashError extends Error {
  constructor(
    readonly point: MoveHookPoint,
    readonly original: unknown,
  ) {
    super(`injected crash at ${point}`);
    this.name = 'InjectedCrashError';
  }
}
