import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import {
  InjectedCrashError,
  applyDecision,
  applyDecisions,
  planMoves,
  recoverMoves,
  type MoveHookPoint,
} from '../asset-mover.js';
import { collisionNonce } from '../collision-name.js';
import {
  AssetLockedError,
  NameCollisionExhaustedError,
  StateConflictError,
  StoragePathError,
} from '../move-errors.js';
import { createStorageFixture, type StorageFixture } from './storage-fixture.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

let fx: StorageFixture;
beforeEach(async () => {
  fx = await createStorageFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

test('KEEP moves INBOX/<sub> to ARCHIVE/<sub> with its sidecars, then publishes ARCHIVED', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/2024/shoot/clip.mp4', [
    'INBOX/2024/shoot/clip.srt',
    'INBOX/2024/shoot/clip.lrf',
  ]);
  const r = await applyDecision(A, fx.ctx());
  assert.equal(r.status, 'MOVED');
  assert.deepEqual(await fx.tree(), [
    'ARCHIVE/2024/shoot/clip.lrf',
    'ARCHIVE/2024/shoot/clip.mp4',
    'ARCHIVE/2024/shoot/clip.srt',
  ]);
  const rec = fx.assets.assets.get(A)!;
  assert.equal(rec.state, 'ARCHIVED');
  assert.equal(rec.paths.original_relative, 'ARCHIVE/2024/shoot/clip.mp4');
  assert.deepEqual(rec.paths.sidecars_relative, [
    'ARCHIVE/2024/shoot/clip.srt',
    'ARCHIVE/2024/shoot/clip.lrf',
  ]);
  assert.deepEqual(rec.path_history, ['INBOX/2024/shoot/clip.mp4']);
  assert.equal(
    await readFile(path.join(fx.storage.root, 'ARCHIVE/2024/shoot/clip.mp4'), 'utf8'),
    'content of INBOX/2024/shoot/clip.mp4',
  );
  assert.deepEqual(
    fx.journal.audit.map((e) => e.action),
    ['MOVE_APPLIED'],
  );
  assert.equal(fx.journal.isLocked(A, new Date()), false, 'lock released');
  assert.deepEqual(await fx.journal.unfinishedEntries(), []);
});

test('REJECT moves to REJECTS and publishes REJECTED', async () => {
  await fx.addAsset(A, 'DECIDED_REJECT', 'INBOX/card1/IMG_0001.JPG', ['INBOX/card1/IMG_0001.xmp']);
  await applyDecision(A, fx.ctx());
  assert.deepEqual(await fx.tree(), ['REJECTS/card1/IMG_0001.JPG', 'REJECTS/card1/IMG_0001.xmp']);
  assert.equal(fx.assets.assets.get(A)!.state, 'REJECTED');
});

test('a collision renames the parent and its sidecars to one shared <name>__<nonce6> stem', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/d/clip.mp4', ['INBOX/d/clip.srt']);
  // Only the sidecar name is taken: the whole group must still move to a fresh stem.
  await fx.write('ARCHIVE/d/clip.srt', 'older subtitle');
  const nonce = collisionNonce(A, 'ARCHIVE/d', 1);
  const plan = await planMoves([fx.assets.assets.get(A)!], fx.storage);
  assert.equal(plan.collision_count, 1);
  assert.deepEqual(plan.moves[0]!.collisions, ['clip']);
  assert.deepEqual(
    plan.moves[0]!.files.map((f) => f.to),
    [`ARCHIVE/d/clip__${nonce}.mp4`, `ARCHIVE/d/clip__${nonce}.srt`],
  );
  await applyDecision(A, fx.ctx());
  assert.deepEqual(await fx.tree(), [
    'ARCHIVE/d/clip.srt',
    `ARCHIVE/d/clip__${nonce}.mp4`,
    `ARCHIVE/d/clip__${nonce}.srt`,
  ]);
  assert.equal(
    await readFile(path.join(fx.storage.root, 'ARCHIVE/d/clip.srt'), 'utf8'),
    'older subtitle',
    'existing file untouched',
  );
});

test('after 10 taken collision names the move is refused (409) and nothing moves', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/clip.mp4');
  await fx.write('ARCHIVE/clip.mp4');
  for (let i = 1; i <= 10; i++)
    await fx.write(`ARCHIVE/clip__${collisionNonce(A, 'ARCHIVE', i)}.mp4`);
  const before = await fx.tree();
  await assert.rejects(applyDecision(A, fx.ctx()), NameCollisionExhaustedError);
  assert.deepEqual(await fx.tree(), before);
  assert.equal(fx.assets.assets.get(A)!.state, 'DECIDED_KEEP');
  assert.equal(fx.journal.isLocked(A, new Date()), false, 'lock released after refusal');

  const plan = await planMoves([fx.assets.assets.get(A)!], fx.storage);
  assert.deepEqual(plan.moves, []);
  assert.equal(plan.errors[0]!.code, 'NAME_COLLISION_EXHAUSTED');

  // With attempt 10 free, the 10th nonce is used.
  await rm(path.join(fx.storage.root, `ARCHIVE/clip__${collisionNonce(A, 'ARCHIVE', 10)}.mp4`));
  const r = await applyDecision(A, fx.ctx());
  assert.equal(r.files[0]!.to, `ARCHIVE/clip__${collisionNonce(A, 'ARCHIVE', 10)}.mp4`);
});

test('planMoves is a dry run: lists moves, collisions between batch members and errors, touches nothing', async () => {
  const a = await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/x/take.wav');
  const c = await fx.addAsset(B, 'DECISION_PENDING', 'INBOX/y/other.wav');
  await fx.write('ARCHIVE/x/take.wav');
  const before = await fx.tree();
  const plan = await planMoves([a, c], fx.storage);
  assert.deepEqual(await fx.tree(), before);
  assert.equal(plan.moves.length, 1);
  assert.equal(plan.moves[0]!.decision, 'KEEP');
  assert.equal(plan.moves[0]!.to_state, 'ARCHIVED');
  assert.equal(plan.moves[0]!.files[0]!.renamed, true);
  assert.deepEqual(plan.errors, [
    {
      asset_uuid: B,
      code: 'STATE_CONFLICT',
      message: `asset ${B} is DECISION_PENDING; only DECIDED_KEEP or DECIDED_REJECT assets are moved`,
    },
  ]);
  assert.equal(fx.journal.entries.size, 0);
});

test('batch apply: one refused asset does not stop the others', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/a.mp4');
  await fx.addAsset(B, 'DECISION_PENDING', 'INBOX/b.mp4');
  const r = await applyDecisions([A, B], fx.ctx());
  assert.equal(r.moved, 1);
  assert.equal(r.failed, 1);
  assert.deepEqual(await fx.tree(), ['ARCHIVE/a.mp4', 'INBOX/b.mp4']);
});

test('wrong state is a StateConflict; a live lock of another owner is refused', async () => {
  await fx.addAsset(A, 'DECISION_PENDING', 'INBOX/a.mp4');
  await assert.rejects(applyDecision(A, fx.ctx()), StateConflictError);
  await fx.addAsset(B, 'DECIDED_KEEP', 'INBOX/b.mp4');
  const now = new Date('2030-01-01T00:00:00Z');
  assert.ok(
    await fx.journal.tryAcquireLock({
      asset_uuid: B,
      kind: 'asset_purge_lock',
      owner: 'someone-else',
      ttl_ms: 300_000,
      now,
    }),
  );
  await assert.rejects(applyDecision(B, fx.ctx({ now: () => now })), AssetLockedError);
  // The lock expires after its TTL (300 s).
  const later = new Date(now.getTime() + 300_001);
  assert.equal((await applyDecision(B, fx.ctx({ now: () => later }))).status, 'MOVED');
});

// Crash injection: every hook point between two steps, including between the link and the
// unlink of one file and between the two files of a group.
const CRASH_POINTS: { point: MoveHookPoint; nth?: number }[] = [
  { point: 'lock_acquired' },
  { point: 'planned' },
  { point: 'file_linked', nth: 1 },
  { point: 'file_moved', nth: 1 },
  { point: 'file_linked', nth: 2 },
  { point: 'file_moved', nth: 2 },
  { point: 'files_applied' },
  { point: 'recorded' },
  { point: 'lock_released' },
];

for (const { point, nth = 1 } of CRASH_POINTS) {
  test(`crash at ${point}#${nth} then recovery: files and state agree`, async () => {
    await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/s/clip.mp4', ['INBOX/s/clip.srt']);
    await fx.write('ARCHIVE/s/clip.mp4', 'someone else');
    const nonce = collisionNonce(A, 'ARCHIVE/s', 1);
    let seen = 0;
    const crashing = fx.ctx({
      owner: 'crashed-process',
      hooks: {
        at: (p) => {
          if (p === point && ++seen === nth) throw new Error('power cut');
        },
      },
    });
    await assert.rejects(applyDecision(A, crashing), InjectedCrashError);
    // Nothing final may be published before recovery.
    assert.equal(fx.assets.assets.get(A)!.state, 'DECIDED_KEEP');

    const reports = await recoverMoves(fx.ctx({ owner: 'new-process' }));
    const tree = await fx.tree();
    const rec = fx.assets.assets.get(A)!;
    if (point === 'lock_acquired') {
      // Crashed before journaling: nothing to recover, nothing moved; the lock just expires.
      assert.deepEqual(reports, []);
      assert.deepEqual(tree, ['ARCHIVE/s/clip.mp4', 'INBOX/s/clip.mp4', 'INBOX/s/clip.srt']);
      assert.equal(rec.state, 'DECIDED_KEEP');
      return;
    }
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.outcome, 'COMPLETED');
    assert.deepEqual(tree, [
      'ARCHIVE/s/clip.mp4',
      `ARCHIVE/s/clip__${nonce}.mp4`,
      `ARCHIVE/s/clip__${nonce}.srt`,
    ]);
    assert.equal(rec.state, 'ARCHIVED');
    assert.equal(rec.paths.original_relative, `ARCHIVE/s/clip__${nonce}.mp4`);
    assert.equal(fx.journal.isLocked(A, new Date()), false);
    assert.deepEqual(await fx.journal.unfinishedEntries(), []);
    assert.equal(fx.journal.audit.filter((e) => e.action === 'MOVE_APPLIED').length, 1);
    // Recovery is itself idempotent.
    assert.deepEqual(await recoverMoves(fx.ctx()), []);
  });
}

test('recovery rolls back when a foreign file took a target and never publishes ARCHIVED', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/clip.mp4', ['INBOX/clip.srt']);
  await assert.rejects(
    applyDecision(
      A,
      fx.ctx({
        hooks: {
          at: (p) => {
            if (p === 'file_moved') throw new Error('crash');
          },
        },
      }),
    ),
    InjectedCrashError,
  );
  // While Core was down, someone dropped a file where the sidecar was going.
  await fx.write('ARCHIVE/clip.srt', 'foreign');
  const [report] = await recoverMoves(fx.ctx());
  assert.equal(report!.outcome, 'ROLLED_BACK');
  assert.deepEqual(await fx.tree(), ['ARCHIVE/clip.srt', 'INBOX/clip.mp4', 'INBOX/clip.srt']);
  assert.equal(await readFile(path.join(fx.storage.root, 'ARCHIVE/clip.srt'), 'utf8'), 'foreign');
  const rec = fx.assets.assets.get(A)!;
  assert.equal(rec.state, 'DECIDED_KEEP');
  assert.equal(rec.paths.original_relative, 'INBOX/clip.mp4');
  assert.deepEqual(
    fx.journal.audit.map((e) => e.action),
    ['MOVE_ROLLED_BACK', 'MOVE_FAILED'],
  );
  // A later apply works once the obstacle is resolved by collision naming.
  assert.equal((await applyDecision(A, fx.ctx())).status, 'MOVED');
});

test('recovery refuses to publish when the moved files vanished', async () => {
  await fx.addAsset(A, 'DECIDED_KEEP', 'INBOX/clip.mp4');
  await assert.rejects(
    applyDecision(
      A,
      fx.ctx({
        hooks: {
          at: (p) => {
            if (p === 'lock_released') throw new Error('crash');
          },
        },
      }),
    ),
    InjectedCrashError,
  );
  await rm(path.join(fx.storage.root, 'ARCHIVE/clip.mp4'));
  const [report] = await recoverMoves(fx.ctx());
  assert.equal(report!.outcome, 'FAILED');
  assert.equal(fx.assets.assets.get(A)!.state, 'DECIDED_KEEP');
});

test('traversal: .., absolute and NUL paths and symlinked folders are refused', async () => {
  const outside = await mkdtemp(path.join(tmpdir(), 'retaia-outside-'));
  try {
    for (const bad of ['INBOX/../../etc/passwd', '/etc/passwd', 'INBOX/a\0.mp4']) {
      fx.assets.put({
        uuid: A,
        state: 'DECIDED_KEEP',
        paths: { storage_id: 'nas-test', original_relative: bad, sidecars_relative: [] },
      });
      await assert.rejects(applyDecision(A, fx.ctx()), StoragePathError, bad);
    }
    await fx.addAsset(B, 'DECIDED_KEEP', 'INBOX/ok/clip.mp4', ['INBOX/ok/../../../x.srt']);
    await assert.rejects(applyDecision(B, fx.ctx()), StoragePathError);

    // ARCHIVE/ok is a symlink to a folder outside the storage root.
    fx.assets.put({
      uuid: B,
      state: 'DECIDED_KEEP',
      paths: {
        storage_id: 'nas-test',
        original_relative: 'INBOX/ok/clip.mp4',
        sidecars_relative: [],
      },
    });
    await symlink(outside, path.join(fx.storage.root, 'ARCHIVE/ok'));
    await assert.rejects(applyDecision(B, fx.ctx()), /ARCHIVE\/ok is a symbolic link/);
    // The symlink itself is listed as an entry; nothing went through it.
    assert.deepEqual(await fx.tree(), ['ARCHIVE/ok', 'INBOX/ok/clip.mp4']);
    assert.deepEqual(await readdir(outside), []);
    assert.equal(fx.assets.assets.get(B)!.state, 'DECIDED_KEEP');
    assert.equal(fx.journal.isLocked(B, new Date()), false);
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test('a source outside INBOX or a missing original is refused before anything moves', async () => {
  await mkdir(path.join(fx.storage.root, 'ELSEWHERE'));
  await fx.addAsset(A, 'DECIDED_KEEP', 'ELSEWHERE/clip.mp4');
  await assert.rejects(applyDecision(A, fx.ctx()), /not under INBOX/);
  fx.assets.put({
    uuid: B,
    state: 'DECIDED_KEEP',
    paths: { storage_id: 'nas-test', original_relative: 'INBOX/gone.mp4', sidecars_relative: [] },
  });
  await assert.rejects(applyDecision(B, fx.ctx()), /missing/);
});

test('a sidecar deleted since the scan: the dry run says so, apply moves the rest and drops it from the paths', async () => {
  await fx.addAsset(A, 'DECIDED_REJECT', 'INBOX/s/clip.mp4', [
    'INBOX/s/clip.srt',
    'INBOX/s/clip.lrf',
  ]);
  await rm(path.join(fx.storage.root, 'INBOX/s/clip.lrf'));
  const plan = await planMoves([fx.assets.assets.get(A)!], fx.storage);
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(plan.moves[0]!.missing_sidecars, ['INBOX/s/clip.lrf']);
  const planned = plan.moves[0]!.files.map((f) => f.to);
  const r = await applyDecision(A, fx.ctx());
  assert.equal(r.status, 'MOVED');
  assert.deepEqual(
    r.files.map((f) => f.to),
    planned,
    'apply did what the dry run showed',
  );
  assert.deepEqual(await fx.tree(), ['REJECTS/s/clip.mp4', 'REJECTS/s/clip.srt']);
  assert.deepEqual(fx.assets.assets.get(A)!.paths.sidecars_relative, ['REJECTS/s/clip.srt']);
});
