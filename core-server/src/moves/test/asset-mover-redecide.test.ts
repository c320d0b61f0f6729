// Re-deciding an asset that was already applied (reopen → decide again → apply): ARCHIVE/<sub>
// ↔ REJECTS/<sub> moves with sidecars, collision naming, locks, journal and crash recovery; a
// decision matching the current folder applies in place (state only, no file touched).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import {
  applyDecision,
  InjectedCrashError,
  planMoves,
  recoverMoves,
  type MoveHookPoint,
} from '../asset-mover.js';
import { collisionNonce } from '../collision-name.js';
import { AssetLockedError, StorageMismatchError } from '../move-errors.js';
import { createStorageFixture, type StorageFixture } from './storage-fixture.js';

const A = '33333333-3333-4333-8333-333333333333';

let fx: StorageFixture;
beforeEach(async () => {
  fx = await createStorageFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

test('REJECT of an archived asset moves ARCHIVE/<sub> to REJECTS/<sub> with its sidecars', async () => {
  await fx.addAsset(A, 'DECIDED_REJECT', 'ARCHIVE/2024/shoot/clip.mp4', [
    'ARCHIVE/2024/shoot/clip.srt',
  ]);
  const r = await applyDecision(A, fx.ctx());
  assert.equal(r.status, 'MOVED');
  assert.deepEqual(await fx.tree(), ['REJECTS/2024/shoot/clip.mp4', 'REJECTS/2024/shoot/clip.srt']);
  const rec = fx.assets.assets.get(A)!;
  assert.equal(rec.state, 'REJECTED');
  assert.equal(rec.paths.original_relative, 'REJECTS/2024/shoot/clip.mp4');
  assert.deepEqual(rec.paths.sidecars_relative, ['REJECTS/2024/shoot/clip.srt']);
  assert.deepEqual(rec.path_history, ['ARCHIVE/2024/shoot/clip.mp4']);
  assert.equal(
    await readFile(path.join(fx.storage.root, 'REJECTS/2024/shoot/clip.mp4'), 'utf8'),
    'content of ARCHIVE/2024/shoot/clip.mp4',
  );
  assert.equal(fx.journal.isLocked(A, new Date()), false);
  assert.deepEqual(await fx.journal.unfinishedEntries(), []);
});

test('KEEP of a rejected asset moves it back to ARCHIVE, renaming on a collision', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'REJECTS/card/IMG_1.JPG', ['REJECTS/card/IMG_1.xmp']);
  await fx.write('ARCHIVE/card/IMG_1.xmp', 'another asset took the name meanwhile');
  const nonce = collisionNonce(A, 'ARCHIVE/card', 1);
  const plan = await planMoves([fx.assets.assets.get(A)!], fx.storage);
  assert.equal(plan.moves[0]!.in_place, false);
  assert.equal(plan.collision_count, 1);
  await applyDecision(A, fx.ctx());
  assert.deepEqual(await fx.tree(), [
    `ARCHIVE/card/IMG_1.xmp`,
    `ARCHIVE/card/IMG_1__${nonce}.JPG`,
    `ARCHIVE/card/IMG_1__${nonce}.xmp`,
  ]);
  const rec = fx.assets.assets.get(A)!;
  assert.equal(rec.state, 'ARCHIVED');
  assert.equal(rec.paths.original_relative, `ARCHIVE/card/IMG_1__${nonce}.JPG`);
});

test('a decision matching the current folder applies in place: no file moves, state published', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'ARCHIVE/d/clip.mp4', ['ARCHIVE/d/clip.srt']);
  const plan = await planMoves([fx.assets.assets.get(A)!], fx.storage);
  assert.equal(plan.moves[0]!.in_place, true);
  assert.deepEqual(plan.moves[0]!.files, []);
  assert.equal(plan.moves[0]!.target_dir, 'ARCHIVE/d');
  const r = await applyDecision(A, fx.ctx());
  assert.equal(r.status, 'MOVED');
  assert.deepEqual(r.files, []);
  assert.deepEqual(await fx.tree(), ['ARCHIVE/d/clip.mp4', 'ARCHIVE/d/clip.srt']);
  const rec = fx.assets.assets.get(A)!;
  assert.equal(rec.state, 'ARCHIVED');
  assert.equal(rec.paths.original_relative, 'ARCHIVE/d/clip.mp4');
  assert.deepEqual(rec.path_history, [], 'no move, no path history entry');
  assert.deepEqual(
    fx.journal.audit.map((e) => e.action),
    ['MOVE_APPLIED'],
  );
  assert.equal(fx.journal.isLocked(A, new Date()), false);
});

test('in-place apply still refuses when the original is gone (the filesystem must agree)', async () => {
  await fx.addAsset(A, 'DECIDED_REJECT', 'REJECTS/x.wav');
  await fx.cleanup();
  fx = await createStorageFixture();
  fx.assets.put({
    uuid: A,
    state: 'DECIDED_REJECT',
    paths: { storage_id: 'nas-test', original_relative: 'REJECTS/x.wav', sidecars_relative: [] },
  });
  await assert.rejects(applyDecision(A, fx.ctx()), StorageMismatchError);
  assert.equal(fx.assets.assets.get(A)!.state, 'DECIDED_REJECT');
});

test('an asset outside INBOX/ARCHIVE/REJECTS is refused with an actionable message', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'ELSEWHERE/x.wav');
  await assert.rejects(applyDecision(A, fx.ctx()), /not under INBOX\/, ARCHIVE\/ or REJECTS\//);
});

test('a live lock of another owner blocks a re-decision move', async () => {
  await fx.addAsset(A, 'DECIDED_REJECT', 'ARCHIVE/a.mp4');
  await fx.journal.tryAcquireLock({
    asset_uuid: A,
    kind: 'asset_purge_lock',
    owner: 'other',
    ttl_ms: 60_000,
    now: new Date(),
  });
  await assert.rejects(applyDecision(A, fx.ctx()), AssetLockedError);
  assert.deepEqual(await fx.tree(), ['ARCHIVE/a.mp4']);
});

const POINTS: MoveHookPoint[] = ['planned', 'file_moved', 'files_applied', 'recorded'];
for (const point of POINTS) {
  test(`crash at ${point} while moving ARCHIVE → REJECTS, then recovery completes it`, async () => {
    await fx.addAsset(A, 'DECIDED_REJECT', 'ARCHIVE/s/clip.mp4', ['ARCHIVE/s/clip.srt']);
    const crashing = fx.ctx({
      owner: 'crashed',
      hooks: {
        at: (p) => {
          if (p === point) throw new Error('power cut');
        },
      },
    });
    await assert.rejects(applyDecision(A, crashing), InjectedCrashError);
    assert.equal(fx.assets.assets.get(A)!.state, 'DECIDED_REJECT');
    const reports = await recoverMoves(fx.ctx({ owner: 'restarted' }));
    assert.deepEqual(
      reports.map((r) => r.outcome),
      ['COMPLETED'],
    );
    assert.deepEqual(await fx.tree(), ['REJECTS/s/clip.mp4', 'REJECTS/s/clip.srt']);
    assert.equal(fx.assets.assets.get(A)!.state, 'REJECTED');
    assert.equal(fx.assets.assets.get(A)!.paths.original_relative, 'REJECTS/s/clip.mp4');
  });
}

test('crash during an in-place apply: recovery publishes the state without touching files', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'ARCHIVE/k.mp4');
  await assert.rejects(
    applyDecision(
      A,
      fx.ctx({
        owner: 'crashed',
        hooks: {
          at: (p) => {
            if (p === 'planned') throw new Error('power cut');
          },
        },
      }),
    ),
    InjectedCrashError,
  );
  assert.equal(fx.assets.assets.get(A)!.state, 'DECIDED_KEEP');
  const reports = await recoverMoves(fx.ctx({ owner: 'restarted' }));
  assert.equal(reports[0]!.outcome, 'COMPLETED');
  assert.equal(fx.assets.assets.get(A)!.state, 'ARCHIVED');
  assert.deepEqual(await fx.tree(), ['ARCHIVE/k.mp4']);
});
