import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { InjectedCrashError, type MoveHookPoint } from '../asset-mover.js';
import { previewPurge, purgeAsset, recoverPurges } from '../asset-purger.js';
import { AssetLockedError, StateConflictError, StoragePathError } from '../move-errors.js';
import { createStorageFixture, type StorageFixture } from './storage-fixture.js';

const A = '33333333-3333-4333-8333-333333333333';
let fx: StorageFixture;

async function rejectedWithDerived() {
  await fx.addAsset(A, 'REJECTED', 'REJECTS/d/clip.mp4', ['REJECTS/d/clip.srt']);
  await fx.addAsset('other', 'ARCHIVED', 'ARCHIVE/d/keep.mp4');
  const derived = path.join(fx.storage.root, '.derived', A);
  await mkdir(path.join(derived, 'thumbs'), { recursive: true });
  await writeFile(path.join(derived, 'preview_video.mp4'), Buffer.alloc(1000));
  await writeFile(path.join(derived, 'thumbs', '0.webp'), Buffer.alloc(24));
}

beforeEach(async () => {
  fx = await createStorageFixture();
});
afterEach(async () => {
  await fx.cleanup();
});

test('preview lists original, sidecars and derived files with sizes, deleting nothing', async () => {
  await rejectedWithDerived();
  const before = await fx.tree();
  const p = await previewPurge(fx.assets.assets.get(A)!, fx.storage);
  assert.equal(p.purgeable, true);
  assert.deepEqual(
    p.files.map((f) => [f.relative_path, f.role, f.exists]),
    [
      ['REJECTS/d/clip.mp4', 'original', true],
      ['REJECTS/d/clip.srt', 'sidecar', true],
      [`.derived/${A}/preview_video.mp4`, 'derived', true],
      [`.derived/${A}/thumbs/0.webp`, 'derived', true],
    ],
  );
  const expectedBytes = 2 * 'content of REJECTS/d/clip.xxx'.length + 1024;
  assert.equal(p.total_bytes, expectedBytes);
  assert.deepEqual(await fx.tree(), before);
});

test('purge deletes original + sidecars + derived dir, audits, publishes PURGED; repeat is a no-op', async () => {
  await rejectedWithDerived();
  const r = await purgeAsset(A, fx.ctx());
  assert.equal(r.status, 'PURGED');
  assert.equal(r.deleted.length, 4);
  assert.deepEqual(await fx.tree(), ['ARCHIVE/d/keep.mp4']);
  assert.equal(fx.assets.assets.get(A)!.state, 'PURGED');
  const audit = fx.journal.audit.filter((e) => e.asset_uuid === A);
  assert.deepEqual(
    audit.map((e) => e.action),
    ['PURGED'],
  );
  assert.deepEqual(audit[0]!.details.deleted, [
    'REJECTS/d/clip.mp4',
    'REJECTS/d/clip.srt',
    `.derived/${A}`,
  ]);
  assert.equal(fx.journal.isLocked(A, new Date()), false);

  const again = await purgeAsset(A, fx.ctx());
  assert.equal(again.status, 'ALREADY_PURGED');
  assert.equal(fx.journal.audit.length, 1);
});

test('only REJECTED assets can be purged', async () => {
  for (const state of ['DECISION_PENDING', 'DECIDED_REJECT', 'ARCHIVED'] as const) {
    await fx.addAsset(A, state, 'INBOX/x.mp4');
    await assert.rejects(purgeAsset(A, fx.ctx()), StateConflictError, state);
    const p = await previewPurge(fx.assets.assets.get(A)!, fx.storage);
    assert.equal(p.purgeable, false);
    assert.match(p.reason!, /only REJECTED/);
  }
  assert.deepEqual(await fx.tree(), ['INBOX/x.mp4']);
});

test('purge waits for a live move lock of another owner', async () => {
  await rejectedWithDerived();
  await fx.journal.tryAcquireLock({
    asset_uuid: A,
    kind: 'asset_move_lock',
    owner: 'mover',
    ttl_ms: 300_000,
    now: new Date(),
  });
  await assert.rejects(purgeAsset(A, fx.ctx()), AssetLockedError);
  assert.equal(fx.assets.assets.get(A)!.state, 'REJECTED');
});

test('purge refuses paths escaping the root', async () => {
  fx.assets.put({
    uuid: A,
    state: 'REJECTED',
    paths: { storage_id: 'nas-test', original_relative: '../../etc/passwd', sidecars_relative: [] },
  });
  await assert.rejects(purgeAsset(A, fx.ctx()), StoragePathError);
  await assert.rejects(previewPurge(fx.assets.assets.get(A)!, fx.storage), StoragePathError);
});

for (const point of ['planned', 'files_applied', 'recorded', 'lock_released'] as MoveHookPoint[]) {
  test(`purge crash at ${point} then recovery: files gone and PURGED, once`, async () => {
    await rejectedWithDerived();
    await assert.rejects(
      purgeAsset(
        A,
        fx.ctx({
          owner: 'crashed',
          hooks: {
            at: (p) => {
              if (p === point) throw new Error('crash');
            },
          },
        }),
      ),
      InjectedCrashError,
    );
    assert.equal(fx.assets.assets.get(A)!.state, 'REJECTED', 'not published before recovery');
    const reports = await recoverPurges(fx.ctx({ owner: 'fresh' }));
    assert.deepEqual(
      reports.map((r) => r.outcome),
      ['COMPLETED'],
    );
    assert.deepEqual(await fx.tree(), ['ARCHIVE/d/keep.mp4']);
    assert.equal(fx.assets.assets.get(A)!.state, 'PURGED');
    assert.equal(fx.journal.audit.filter((e) => e.action === 'PURGED').length, 1);
    assert.equal(fx.journal.isLocked(A, new Date()), false);
    assert.deepEqual(await recoverPurges(fx.ctx()), []);
  });
}
