// Absolute server paths are scrubbed from answers (http/scrub-paths.ts), but a relative path that
// merely contains the storage root's text is data, not a leak: a NAS mounted at /media with a
// folder INBOX/media/ must reach the agent as INBOX/media/…, or the agent cannot open the file.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { pathScrubber } from '../src/http/scrub-paths.js';
import { startTestCore, TestAgent } from './support/signed-test-client.js';

const scrub = pathScrubber({ '<storage root>': '/media', '<data dir>': '/var/lib/core' });

test('absolute paths are scrubbed wherever a path can start', () => {
  for (const [text, want] of [
    ['EACCES: rename "/media/INBOX/a.mov"', 'EACCES: rename "<storage root>/INBOX/a.mov"'],
    [
      "cannot read '/media/x' (db /var/lib/core/core.sqlite)",
      "cannot read '<storage root>/x' (db <data dir>/core.sqlite)",
    ],
    ['{"path":"/media"}', '{"path":"<storage root>"}'],
    [
      '/media/INBOX at start, then=/media/x,/media/y',
      '<storage root>/INBOX at start, then=<storage root>/x,<storage root>/y',
    ],
    ['see file:///media/INBOX/a.mov', 'see file://<storage root>/INBOX/a.mov'],
  ]) {
    assert.equal(scrub(text!), want);
  }
});

test('a path inside a relative path or a longer name is left alone in a success answer', () => {
  for (const text of [
    '{"original_relative":"INBOX/media/clip.mov"}',
    '{"original_relative":"INBOX/media"}',
    '{"path":"/media2/x","other":"/mediaeval.mov"}',
    'INBOX/2024/var/lib/core/x.wav',
  ]) {
    assert.equal(scrub(text), text);
  }
});

test('error answers are scrubbed even where the root only appears inside a longer path', () => {
  // An attacker can make a 404 echo any text; the strict mode keeps the root out of it anyway.
  assert.equal(
    scrub('no route GET /api/v1/media/x', { anywhere: true }),
    'no route GET /api/v1<storage root>/x',
  );
});

test('a job for a file under a folder named like the storage root reaches the agent verbatim', async (t) => {
  const core = await startTestCore();
  t.after(() => core.dispose());
  // The storage root's own absolute path, re-created as folders under INBOX.
  const nested = path.join('INBOX', core.root);
  await mkdir(path.join(core.root, nested), { recursive: true });
  await writeFile(path.join(core.root, nested, 'a.jpg'), 'photo');
  await core.server.scanNow();
  await core.server.scanNow();
  const agent = await TestAgent.enrol(core.server);
  const jobs = await agent.get('/jobs');
  assert.equal(jobs.status, 200);
  const sources = (jobs.body as { source: { original_relative: string } }[]).map(
    (j) => j.source.original_relative,
  );
  assert.ok(sources.length > 0, 'the file has jobs');
  for (const s of sources) assert.equal(s, `${nested}/a.jpg`);
  // A missing route that names the root is still scrubbed (error answers are strict).
  const probe = await agent.get(`${core.root}/x`);
  assert.equal(probe.status, 404);
  assert.ok(!JSON.stringify(probe.body).includes(core.root), JSON.stringify(probe.body));
});

test('a poll answer, scrubbed entry by entry as it is built, still hides the root where a path can start', async (t) => {
  // A poll answer is sent as bytes joined from cached entries, past the last pass over text
  // answers (http/build-app.ts): each entry was scrubbed once, when built. Text that reads as an
  // absolute path (after a space) must still not reach the agent, on the first poll and from
  // the cache on the next.
  const core = await startTestCore();
  t.after(() => core.dispose());
  const folder = path.join('INBOX', `shoot ${core.root}`);
  await mkdir(path.join(core.root, folder), { recursive: true });
  await writeFile(path.join(core.root, folder, 'b.jpg'), 'photo');
  await core.server.scanNow();
  await core.server.scanNow();
  const agent = await TestAgent.enrol(core.server);
  for (const poll of ['first', 'cached']) {
    const jobs = await agent.get('/jobs');
    assert.equal(jobs.status, 200);
    const text = JSON.stringify(jobs.body);
    assert.ok(!text.includes(core.root), `${poll} poll leaks the root: ${text}`);
    const sources = (jobs.body as { source: { original_relative: string } }[]).map(
      (j) => j.source.original_relative,
    );
    assert.ok(sources.length > 0, 'the file has jobs');
    for (const s of sources) assert.equal(s, 'INBOX/shoot <storage root>/b.jpg', poll);
  }
});
