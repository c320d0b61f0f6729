import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import {
  validateMount,
  resolveSourcePath,
  SourceResolutionError,
} from '../src/config/storage-mount.js';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

async function makeMount(
  marker: unknown = {
    version: 2,
    storage_id: 'nas-main',
    paths: { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' },
  },
) {
  const root = makeTempDir('mount-');
  if (marker !== null)
    await writeFile(
      join(root, '.retaia'),
      typeof marker === 'string' ? marker : JSON.stringify(marker),
    );
  for (const d of ['INBOX', 'ARCHIVE', 'REJECTS', 'OTHER']) await mkdir(join(root, d));
  await writeFile(join(root, 'INBOX', 'a.mp4'), 'data');
  await writeFile(join(root, 'ARCHIVE', 'b.mp4'), 'data');
  await writeFile(join(root, 'OTHER', 'c.mp4'), 'data');
  return root;
}

test('a valid mount returns its marker', async () => {
  const root = await makeMount();
  const v = await validateMount('nas-main', root);
  assert.equal(v.ok, true);
  assert.equal(v.marker?.storage_id, 'nas-main');
});

test('mount refusals each say what to do', async () => {
  const cases: [string, string, RegExp][] = [
    ['nas-main', 'relative/dir', /absolute/],
    ['nas-main', '/definitely/not/here', /does not exist.*mount the share/],
    ['nas-main', await makeMount(null), /no \.retaia marker.*root of the share/],
    ['nas-main', await makeMount('{oops'), /not valid JSON.*Core operator/],
    ['nas-main', await makeMount({ version: 'x', storage_id: 'nas-main' }), /not a valid marker/],
    [
      'nas-main',
      await makeMount({ version: 9, storage_id: 'nas-main' }),
      /version 9.*update the agent/,
    ],
    ['other-id', await makeMount(), /names storage "nas-main", not "other-id"/],
  ];
  for (const [id, path, re] of cases) {
    const v = await validateMount(id, path);
    assert.equal(v.ok, false, path);
    assert.match(v.problem ?? '', re);
  }
  const file = join(makeTempDir('f-'), 'x');
  await writeFile(file, '');
  assert.match((await validateMount('nas-main', file)).problem ?? '', /not a directory/);
});

async function refusal(
  mounts: Record<string, string>,
  rel: string,
  storage = 'nas-main',
): Promise<SourceResolutionError> {
  try {
    await resolveSourcePath(mounts, { storage_id: storage, original_relative: rel });
  } catch (err) {
    assert.ok(err instanceof SourceResolutionError, String(err));
    return err;
  }
  assert.fail(`expected ${rel} to be refused`);
}

test('source resolution: safe paths resolve, every unsafe one is refused with a code', async () => {
  const root = await makeMount();
  // A mount that is itself reached through a link (e.g. /Volumes/nas -> /mnt/...) is fine.
  const viaLink = join(makeTempDir('mountlink-'), 'nas');
  await symlink(root, viaLink);
  assert.match(
    (
      await resolveSourcePath(
        { 'nas-main': viaLink },
        { storage_id: 'nas-main', original_relative: 'INBOX/a.mp4' },
      )
    ).sourcePath,
    /INBOX\/a\.mp4$/,
  );
  const ok = await resolveSourcePath(
    { 'nas-main': root },
    {
      storage_id: 'nas-main',
      original_relative: 'INBOX/a.mp4',
      sidecars_relative: ['INBOX/a.srt'],
    },
  );
  assert.match(ok.sourcePath, /INBOX\/a\.mp4$/);
  assert.deepEqual(ok.missingSidecars, ['INBOX/a.srt']);
  assert.ok(
    (
      await resolveSourcePath(
        { 'nas-main': root },
        { storage_id: 'nas-main', original_relative: 'ARCHIVE/b.mp4' },
      )
    ).sourcePath,
  );

  const m = { 'nas-main': root };
  const outside = makeTempDir('outside-');
  await writeFile(join(outside, 'secret.mp4'), 'x');
  await symlink(join(outside, 'secret.mp4'), join(root, 'INBOX', 'link.mp4'));
  await symlink(outside, join(root, 'INBOX', 'dirlink'));
  await mkdir(join(root, 'INBOX', 'folder.mp4'));
  // Swapped in after discovery: links to an archived file and to an archive folder, both inside
  // the mount. Reading them would publish another file's pictures under this asset.
  await symlink(join('..', 'ARCHIVE', 'b.mp4'), join(root, 'INBOX', 'dup.mp4'));
  await symlink(join(root, 'ARCHIVE'), join(root, 'INBOX', 'archived'));

  const expectations: [string, string, boolean, RegExp][] = [
    ['/etc/passwd', 'UNSAFE_SOURCE_PATH', false, /absolute/],
    ['INBOX/../../etc/passwd', 'UNSAFE_SOURCE_PATH', false, /\.\./],
    ['INBOX/a\0.mp4', 'UNSAFE_SOURCE_PATH', false, /NUL/],
    ['C:\\x.mp4', 'UNSAFE_SOURCE_PATH', false, /drive-letter/],
    ['INBOX/link.mp4', 'UNSAFE_SOURCE_PATH', false, /outside the mount/],
    ['INBOX/dirlink/secret.mp4', 'UNSAFE_SOURCE_PATH', false, /outside the mount/],
    ['INBOX/dup.mp4', 'UNSAFE_SOURCE_PATH', false, /symlink to .*ARCHIVE\/b\.mp4/],
    ['INBOX/archived/b.mp4', 'UNSAFE_SOURCE_PATH', false, /passes through\) a symlink/],
    [
      'OTHER/c.mp4',
      'SOURCE_OUTSIDE_MARKER_PATHS',
      false,
      /only allows media under INBOX, ARCHIVE, REJECTS/,
    ],
    ['INBOX/missing.mp4', 'SOURCE_NOT_FOUND', false, /missing/],
    ['INBOX/folder.mp4', 'SOURCE_NOT_A_FILE', false, /not a regular file/],
  ];
  for (const [rel, code, retryable, re] of expectations) {
    const err = await refusal(m, rel);
    assert.equal(err.code, code, rel);
    assert.equal(err.retryable, retryable, rel);
    assert.match(err.message, re, rel);
  }
  if (process.getuid?.() !== 0) {
    await writeFile(join(root, 'INBOX', 'locked.mp4'), 'x');
    await chmod(join(root, 'INBOX', 'locked.mp4'), 0o000);
    assert.equal((await refusal(m, 'INBOX/locked.mp4')).code, 'SOURCE_UNREADABLE');
  }
});

test('version 1 markers allow only the inbox', async () => {
  const root = await makeMount({ version: 1, storage_id: 'nas-main' });
  assert.ok(
    await resolveSourcePath(
      { 'nas-main': root },
      { storage_id: 'nas-main', original_relative: 'INBOX/a.mp4' },
    ),
  );
  assert.equal(
    (await refusal({ 'nas-main': root }, 'ARCHIVE/b.mp4')).code,
    'SOURCE_OUTSIDE_MARKER_PATHS',
  );
});

test('mount problems are agent-side (retryable) with the fix in the message', async () => {
  const err = await refusal({}, 'INBOX/a.mp4');
  assert.equal(err.code, 'MOUNT_NOT_CONFIGURED');
  assert.equal(err.retryable, true);
  assert.match(err.message, /config set storage_mounts\.nas-main/);
  const root = await makeMount({ version: 2, storage_id: 'elsewhere' });
  const mismatch = await refusal({ 'nas-main': root }, 'INBOX/a.mp4');
  assert.equal(mismatch.code, 'STORAGE_ID_MISMATCH');
  const noMarker = await refusal({ 'nas-main': await makeMount(null) }, 'INBOX/a.mp4');
  assert.equal(noMarker.code, 'MOUNT_INVALID');
});
