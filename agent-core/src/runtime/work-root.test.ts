import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';
import { prepareWorkRoot } from './work-root.js';

test('prepareWorkRoot removes only the folders a previous agent process left', async () => {
  const root = join(makeTempDir('work-root-'), 'work');
  await mkdir(join(root, 'retaia-job-abc123'), { recursive: true });
  await writeFile(join(root, 'retaia-job-abc123', 'preview.mp4'), Buffer.alloc(1024));
  await mkdir(join(root, 'retaia-pass-def456'));
  await mkdir(join(root, 'someone-elses-scratch'));
  await writeFile(join(root, 'notes.txt'), 'keep me');

  const removed = await prepareWorkRoot(root);
  assert.deepEqual(removed.sort(), ['retaia-job-abc123', 'retaia-pass-def456']);
  assert.deepEqual((await readdir(root)).sort(), ['notes.txt', 'someone-elses-scratch']);
});

test('prepareWorkRoot creates a missing work root private to the user', async () => {
  const root = join(makeTempDir('work-root-'), 'data', 'work');
  assert.deepEqual(await prepareWorkRoot(root), []);
  assert.equal((await stat(root)).mode & 0o777, 0o700);
});
