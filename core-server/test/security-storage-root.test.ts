// Attack (misconfiguration): `serve --storage-root /volume1/rushes` while the NAS volume is not
// mounted used to create the whole tree and write `.retaia` on the system disk, which then filled
// up with what the volume should hold. Core now refuses a missing root, and a folder without
// marker, unless --init-storage is given (docs/storage-safety.md). Real CLI, real child processes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, serveOnce } from './support/cli-child.js';

let base: string;
before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'core-storage-root-'));
});
after(() => rm(base, { recursive: true, force: true }));

/** `serve` on `root` (without --init-storage), which must exit 1 before listening. */
async function refusedServe(root: string, dataDir: string) {
  const r = await runCli(
    [
      'serve',
      '--storage-root',
      root,
      '--storage-id',
      'nas-main',
      '--data-dir',
      path.join(base, dataDir),
      '--port',
      '0',
    ],
    { cwd: base },
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  return r;
}

test('an unmounted volume (missing root) is refused and nothing is created', async () => {
  const volume = path.join(base, 'volume1', 'rushes');
  const r = await refusedServe(volume, 'd1');
  assert.match(r.stderr, /does not exist/);
  assert.match(r.stderr, /mount/);
  assert.match(r.stderr, /--init-storage/);
  assert.equal(existsSync(path.join(base, 'volume1')), false, 'no folder was created');
});

test('an empty mount point (folder without .retaia) is refused and left empty', async () => {
  const mountPoint = path.join(base, 'mnt-empty');
  await mkdir(mountPoint);
  const r = await refusedServe(mountPoint, 'd2');
  assert.match(r.stderr, /no \.retaia marker/);
  assert.match(r.stderr, /mounted/);
  assert.deepEqual(await readdir(mountPoint), [], 'nothing written into it');
});

test('--init-storage creates a new library; later starts need neither the flag nor --storage-id', async () => {
  const root = path.join(base, 'new-library');
  const dataDir = path.join(base, 'd3');
  await serveOnce(
    ['--storage-root', root, '--storage-id', 'lib-1', '--data-dir', dataDir, '--init-storage'],
    {
      cwd: base,
    },
  );
  assert.deepEqual((await readdir(root)).sort(), [
    '.derived',
    '.retaia',
    'ARCHIVE',
    'INBOX',
    'REJECTS',
  ]);
  assert.equal(JSON.parse(await readFile(path.join(root, '.retaia'), 'utf8')).storage_id, 'lib-1');
  const again = await serveOnce(['--storage-root', root, '--data-dir', dataDir], { cwd: base });
  assert.match(again.stdout, /listening on/);
});

test('a linked INBOX is refused at start (moves never go through links)', async () => {
  const root = path.join(base, 'linked-inbox');
  await serveOnce(
    [
      '--storage-root',
      root,
      '--storage-id',
      'lib-2',
      '--data-dir',
      path.join(base, 'd4'),
      '--init-storage',
    ],
    {
      cwd: base,
    },
  );
  await rm(path.join(root, 'INBOX'), { recursive: true });
  await mkdir(path.join(base, 'elsewhere'));
  await symlink(path.join(base, 'elsewhere'), path.join(root, 'INBOX'));
  const r = await runCli(
    ['serve', '--storage-root', root, '--data-dir', path.join(base, 'd4'), '--port', '0'],
    {
      cwd: base,
    },
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /INBOX is a symbolic link/);
});
