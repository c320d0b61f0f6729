// POST /ops/locks/recover (docs/operations.md#locks). A stale lock is an asset move/purge lock
// taken at least `staleLockMinutes` ago whose TTL has run out: its holder stopped refreshing it.
// A lock still inside its TTL is never touched, however old.
//
// Nothing is lost by recovering, and no operation is replayed twice:
//  * a stale lock with nothing unfinished behind it in the journal is an orphan: dropped;
//  * a stale lock of THIS process whose move or purge stopped half way is handed to the moves
//    domain's own recovery (roll forward or back from what the files show, then release);
//  * a stale lock of another owner with an unfinished operation is left alone: a dead owner's
//    operations are the leader's to finish (it does on every sweep, one run at a time), and a live
//    owner may still be at work. Such locks are examined, not recovered.
// A dry run examines the same locks and reports what the real run would recover, changing
// nothing. Job leases are not handled here: the sweeper returns expired leases to the queue.
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
  const mine = (lock: StaleAssetLock) => lock.owner === ctx.moves.owner;
  const recoverable = stale.filter((l) => interruptedBy(l).length === 0 || mine(l));
  if (dryRun) {
    return { stale_examined: stale.length, recovered: recoverable.length, dry_run: true };
  }

  // Dropping a stale lock is also how one caller claims it: the drop matches the exact lock, so of
  // two requests recovering at once only one resumes a given operation.
  let recovered = 0;
  const resumedBy = new Map<string, StaleAssetLock>();
  for (const lock of recoverable) {
    if (!(await ctx.store.ops.dropStaleAssetLock(lock, nowMs))) continue;
    const ops = interruptedBy(lock);
    if (ops.length === 0) recovered++;
    for (const op of ops) resumedBy.set(op.operation_id, lock);
  }
  if (resumedBy.size > 0) {
    const moves = {
      ...ctx.moves,
      journal: journalLimitedTo(ctx.moves.journal, new Set(resumedBy.keys())),
    };
    const reports = [...(await recoverMoves(moves)), ...(await recoverPurges(moves))];
    ctx.logger.warn({ recovered: reports }, 'stale locks: interrupted moves/purges recovered');
    // A lock is recovered when every operation behind it ended (completed, rolled back or
    // failed, lock released); one skipped because someone else now holds the asset is not.
    const settled = new Set(resumedBy.values());
    for (const r of reports) {
      if (r.outcome === 'SKIPPED_LOCKED') settled.delete(resumedBy.get(r.operation_id)!);
    }
    recovered += settled.size;
  }
  ctx.logger.info({ stale_examined: stale.length, recovered }, 'stale locks recovered');
  return { stale_examined: stale.length, recovered, dry_run: false };
}
