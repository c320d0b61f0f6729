// The INBOX scanner keeps its index of known assets in memory between scans, and reloads it as
// soon as any writer changed it: a settled library's rescan skips reading 100,000 rows, and a
// file dropped where a moved asset used to be is still a new asset.
import assert from 'node:assert/strict';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startTestCore } from './support/signed-test-client.js';

test('rescans reuse the index until another writer changes it; a file where a moved asset was is new', async (t) => {
  const core = await startTestCore();
  t.after(() => core.dispose());
  const { store } = core.server.context;
  let loads = 0;
  const load = store.loadScanIndex.bind(store);
  store.loadScanIndex = () => (loads++, load());

  await writeFile(path.join(core.root, 'INBOX', 'a.jpg'), 'first photo');
  assert.equal((await core.server.scanNow()).new_assets, 1);
  assert.equal((await core.server.scanNow()).became_ready, 1);
  await core.server.scanNow(); // the first scan after those writes reloads
  loads = 0;
  const settled = await core.server.scanNow();
  assert.equal(loads, 0, 'an unchanged rescan reads no index rows');
  assert.equal(settled.files_seen, 1);

  // Another writer (the mover, here through the store as any process or replica would) moves
  // the asset out of INBOX, and a new file of the same name arrives.
  const [asset] = await core.server.operator.listAssets();
  await mkdir(path.join(core.root, 'ARCHIVE'), { recursive: true });
  await rename(path.join(core.root, 'INBOX', 'a.jpg'), path.join(core.root, 'ARCHIVE', 'a.jpg'));
  await store
    .assetRecords('nas-test')
    .updatePaths(asset!.uuid, { original_relative: 'ARCHIVE/a.jpg', sidecars_relative: [] });
  await writeFile(path.join(core.root, 'INBOX', 'a.jpg'), 'second photo');

  const after = await core.server.scanNow();
  assert.equal(after.new_assets, 1, 'the new file is a new asset, not the moved one');
  assert.equal(loads, 1, 'the changed index was reloaded');
  const paths = (await core.server.operator.listAssets()).map((a) => a.relative_path).sort();
  assert.deepEqual(paths, ['ARCHIVE/a.jpg', 'INBOX/a.jpg']);
});
