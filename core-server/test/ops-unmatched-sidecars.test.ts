// Why a sidecar is unmatched, and what counts as missing, on hand-made scan findings (the HTTP
// tests in ops-ingest.test.ts run the same rules through a real scan).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingInboxAssets, unmatchedSidecars } from '../src/discovery/unmatched-sidecars.js';
import { ScanIndex } from '../src/discovery/scan-index.js';
import type { ScanIndexEntry } from '../src/store/core-store.js';

test('a proxy sidecar is disabled by policy only next to a video of its stem (any case), and only while proxies are off', () => {
  const media = [
    { relative: 'INBOX/d/CLIP.MP4', candidates: [] },
    { relative: 'INBOX/d/photo.jpg', candidates: [] },
  ];
  const files = ['INBOX/d/clip.lrv', 'INBOX/d/photo.lrv', 'INBOX/e/clip.thm'];
  assert.deepEqual(unmatchedSidecars(files, media, [], false), [
    { path: 'INBOX/d/clip.lrv', reason: 'disabled_by_policy' },
    { path: 'INBOX/d/photo.lrv', reason: 'missing_parent' },
    { path: 'INBOX/e/clip.thm', reason: 'missing_parent' },
  ]);
  // With proxies on, an unclaimed .lrv has no parent at all (a claimed one is not listed).
  const claimed = [{ relative: 'INBOX/d/CLIP.MP4', candidates: ['INBOX/d/clip.lrv'] }];
  assert.deepEqual(unmatchedSidecars(['INBOX/d/clip.lrv'], claimed, [], true), []);
  assert.deepEqual(unmatchedSidecars(['INBOX/d/clip.lrv'], media, [], true), [
    { path: 'INBOX/d/clip.lrv', reason: 'missing_parent' },
  ]);
  const twins = [
    { relative: 'INBOX/t/a.mp4', candidates: ['INBOX/t/a.srt'] },
    { relative: 'INBOX/t/a.mov', candidates: ['INBOX/t/a.srt'] },
  ];
  assert.deepEqual(
    unmatchedSidecars(
      ['INBOX/t/a.srt'],
      twins,
      [{ sidecar: 'INBOX/t/a.srt', claimed_by: [] }],
      false,
    ),
    [{ path: 'INBOX/t/a.srt', reason: 'ambiguous_parent' }],
  );
});

test('missing counts INBOX assets the scan did not see; moved and purged ones are not missing', () => {
  const entry = (relative_path: string, phase: ScanIndexEntry['phase']): ScanIndexEntry => ({
    uuid: relative_path,
    relative_path,
    size_bytes: 1,
    mtime_ms: 1,
    stable_scans: 1,
    phase,
    sidecars: '[]',
  });
  const index = new ScanIndex([
    entry('INBOX/seen.jpg', 'settled'),
    entry('INBOX/gone.jpg', 'settled'),
    entry('INBOX/purged.jpg', 'purged'),
    entry('ARCHIVE/kept.jpg', 'settled'),
  ]);
  assert.equal(index.expectedInInbox, 2);
  // as the walk reports them: each file seen with its index entry, if any
  const seen = (...paths: string[]) => paths.map((p) => ({ known: index.byPath.get(p) }));
  assert.equal(missingInboxAssets(index, seen('INBOX/seen.jpg', 'INBOX/new.jpg')), 1);
  assert.equal(missingInboxAssets(index, seen('INBOX/seen.jpg', 'INBOX/purged.jpg')), 1);
  assert.equal(missingInboxAssets(index, []), 2);
  assert.equal(index.inFolder('INBOX')?.get('gone.jpg')?.uuid, 'INBOX/gone.jpg');
  assert.equal(index.inFolder('ARCHIVE'), undefined, 'only INBOX folders are walked');
});
