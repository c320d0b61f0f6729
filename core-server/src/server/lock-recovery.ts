// POST /ops/locks/recover (docs/operations.md#locks). A stale lock is an asset move/purge lock
// taken at least `staleLockMinutes` ago whose TTL has run out: its holder stopped refreshing it
// (a crashed replica, usually). A lock still inside its TTL is never touched, however old.
//
// Nothing is lost by recovering: a stale lock whose owner left an unfinished move or purge in the
// journal is handed to the moves domain's own recovery (roll forward or back from what the files
// show, then release), exactly what a restart would do; a stale lock with nothing unfinished
// behind it is an orphan and is dropped. A dry run examines the same locks and reports what the
// real run would recover, changing nothing. Job leases are not handled here: the sweeper returns
// expired leases to the queue on every replica.
import {
  recoverMoves,
  recoverPurges,
  type MoveJournal,
  type MoveJournalEntry,
} from '../moves/index.js';
import type { StaleAssetLock } from '../store/ops-store.js';
import type { CoreContext } from './core-context.js';

export interface LockRecoveryResult {
  stale_examined: number;
  recovered: number;
  dry_run: boolean;
}

/** The journal seen through a filter: recovery then resumes only the chosen operations. */
function journalLimitedTo(base: MoveJournal, operationIds: ReadonlySet<string>): MoveJournal {
  return {
    tryAcquireLock: (req) => base.tryAcquireLock(req),
    releaseLock: (uuid, kind, owner) => base.releaseLock(uuid, kind, owner),
    saveEntry: (entry) => base.saveEntry(entry),
    appendAudit: (event) => base.appendAudit(event),
    unfinishedEntries: async () =>
      (await base.unfinishedEntries()).filter((e) => operationIds.has(e.operation_id)),
  };
}

const lockKindOf = (entry: MoveJournalEntry) =>
  entry.kind === 'move' ? 'asset_move_lock' : 'asset_purge_lock';

export async function recoverStaleLocks(
  ctx: CoreContext,
  staleLockMinutes: number,
  dryRun: boolean,
): Promise<LockRecoveryResult> {
  const nowMs = ctx.clock();
  const stale = await ctx.store.ops.listStaleAssetLocks(nowMs - staleLockMinutes * 60_000, nowMs);
  const unfinished = await ctx.moves.journal.unfinishedEntries();
  const interruptedBy = (lock: StaleAssetLock) =>
    unfinished.filter(
      (e) =>
        e.asset_uuid === lock.asset_uuid &&
        e.lock_owner === lock.owner &&
        lockKindOf(e) === lock.kind,
    );
  if (dryRun) return { stale_examined: stale.length, recovered: stale.length, dry_run: true };

  let recovered = 0;
  const resume = new Set<string>();
  for (const lock of stale) {
    const ops = interruptedBy(lock);
    if (ops.length === 0) {
      if (await ctx.store.ops.dropStaleAssetLock(lock, nowMs)) recovered++;
    } else {
      for (const op of ops) resume.add(op.operation_id);
    }
  }
  if (resume.size > 0) {
    const moves = { ...ctx.moves, journal: journalLimitedTo(ctx.moves.journal, resume) };
    const reports = [...(await recoverMoves(moves)), ...(await recoverPurges(moves))];
    ctx.logger.warn({ recovered: reports }, 'stale locks: interrupted moves/purges recovered');
    // Counted by lock: recovery takes each one over and releases it when the operation ends.
    for (const lock of stale) {
      if (interruptedBy(lock).length === 0) continue;
      const left = await ctx.store.ops.listOperationLocks({
        assetUuid: lock.asset_uuid,
        lockType: lock.kind,
        limit: 200,
        offset: 0,
      });
      if (!left.items.some((l) => l.actor_id === lock.owner)) recovered++;
    }
  }
  ctx.logger.info({ stale_examined: stale.length, recovered }, 'stale locks recovered');
  return { stale_examined: stale.length, recovered, dry_run: false };
}
