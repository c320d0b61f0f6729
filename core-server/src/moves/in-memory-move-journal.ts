// In-memory implementations of the moves ports, for tests and as the executable reference of
// their semantics (re-entrant locks, idempotent audit, compare-and-set state).
import type { AssetState } from '@retaia/protocol';
import { assertTransition, type TransitionCause } from './asset-transitions.js';
import { StateConflictError } from './move-errors.js';
import type {
  AssetAuditEvent,
  AssetLockKind,
  AssetLockRequest,
  AssetRecords,
  MovableAsset,
  MoveJournal,
  MoveJournalEntry,
} from './move-journal.js';

interface HeldLock {
  kind: AssetLockKind;
  owner: string;
  expires_at: number;
}

export class InMemoryMoveJournal implements MoveJournal {
  readonly locks = new Map<string, HeldLock[]>();
  readonly entries = new Map<string, MoveJournalEntry>();
  readonly audit: AssetAuditEvent[] = [];

  async tryAcquireLock(req: AssetLockRequest): Promise<boolean> {
    const now = req.now.getTime();
    const live = (this.locks.get(req.asset_uuid) ?? []).filter((l) => l.expires_at > now);
    if (live.some((l) => l.owner !== req.owner)) return false;
    const others = live.filter((l) => l.kind !== req.kind);
    this.locks.set(req.asset_uuid, [
      ...others,
      { kind: req.kind, owner: req.owner, expires_at: now + req.ttl_ms },
    ]);
    return true;
  }

  async releaseLock(assetUuid: string, kind: AssetLockKind, owner: string): Promise<void> {
    const held = this.locks.get(assetUuid) ?? [];
    this.locks.set(
      assetUuid,
      held.filter((l) => !(l.kind === kind && l.owner === owner)),
    );
  }

  /** True when a live lock of `kind` is held on the asset (what the job queue must check). */
  isLocked(assetUuid: string, now: Date, kind?: AssetLockKind): boolean {
    return (this.locks.get(assetUuid) ?? []).some(
      (l) => l.expires_at > now.getTime() && (kind === undefined || l.kind === kind),
    );
  }

  async saveEntry(entry: MoveJournalEntry): Promise<void> {
    this.entries.set(entry.operation_id, structuredClone(entry));
  }

  async unfinishedEntries(): Promise<MoveJournalEntry[]> {
    return [...this.entries.values()]
      .filter((e) => e.step !== 'DONE' && e.step !== 'FAILED')
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .map((e) => structuredClone(e));
  }

  async appendAudit(event: AssetAuditEvent): Promise<void> {
    const dup = this.audit.some(
      (e) => e.operation_id === event.operation_id && e.action === event.action,
    );
    if (!dup) this.audit.push(structuredClone(event));
  }
}

export class InMemoryAssetRecords implements AssetRecords {
  readonly assets = new Map<string, MovableAsset & { path_history: string[] }>();

  constructor(initial: MovableAsset[] = []) {
    for (const a of initial) this.put(a);
  }

  put(asset: MovableAsset): void {
    this.assets.set(asset.uuid, { ...structuredClone(asset), path_history: [] });
  }

  async getAsset(uuid: string): Promise<MovableAsset | undefined> {
    const a = this.assets.get(uuid);
    if (!a) return undefined;
    return { uuid: a.uuid, state: a.state, paths: structuredClone(a.paths) };
  }

  async updatePaths(
    uuid: string,
    paths: { original_relative: string; sidecars_relative: string[] },
  ): Promise<void> {
    const a = this.mustGet(uuid);
    if (a.paths.original_relative === paths.original_relative) return;
    a.path_history.push(a.paths.original_relative);
    a.paths = { ...a.paths, ...structuredClone(paths) };
  }

  async transitionState(
    uuid: string,
    from: AssetState,
    to: AssetState,
    cause: TransitionCause,
  ): Promise<void> {
    const a = this.mustGet(uuid);
    if (a.state !== from) {
      throw new StateConflictError(`asset ${uuid} is ${a.state}, expected ${from}`, {
        asset_uuid: uuid,
        current: a.state,
        expected: from,
      });
    }
    assertTransition(from, to, cause);
    a.state = to;
  }

  private mustGet(uuid: string) {
    const a = this.assets.get(uuid);
    if (!a) throw new StateConflictError(`unknown asset ${uuid}`, { asset_uuid: uuid });
    return a;
  }
}
