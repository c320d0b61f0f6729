/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// GET /ops/ingest/diagnostics, GET /ops/ingest/unmatched and POST /ops/ingest/requeue over real
// HTTP against a real Core scanning real files: what discovery left unmatched and why, the
// counters, and requeueing an asset's processing (deduplicated while its jobs are queued) — on
// SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { HumanSession } from './support/human-session.js';
import { contract, storeBackends, withOpsCore } from './support/ops-backends.js';
import { TestAgent } from './support/signed-test-client.js';

const backends = await storeBackends();

async function get(op: HumanSession, template: string, p = template) {
  const res = await op.request('GET', p);
  assert.equal(res.status, 200, `${p}: ${JSON.stringify(res.body)}`);
  assert.deepEqual(contract.responseErrors('GET', template, 200, res.body), [], p);
  return res.body;
}

async function requeue(op: HumanSession, body: unknown, status = 202) {
  const res = await op.request('POST', '/ops/ingest/requeue', { body });
  assert.equal(res.status, status, JSON.stringify(res.body));
  if (status === 202 || status === 400) {
    assert.deepEqual(contract.responseErrors('POST', '/ops/ingest/requeue', status, res.body), []);
  }
  return res.body;
}

for (const backend of backends) {
  test(
    `${backend.name}: unmatched sidecars: missing, ambiguous and policy-disabled parents are listed with when they were first seen; counters follow the files`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(backend, async (core, op) => {
        await op.discover({
          's/a.jpg': 'photo',
          's/a.xmp': 'its metadata',
          's/orphan.xmp': 'nobody’s',
          's/twin.mp4': 'clip one',
          's/twin.mov': 'clip two',
          's/twin.srt': 'whose subtitles?',
          's/clip.mp4': 'drone clip',
          's/clip.lrv': 'low-res proxy',
          's/readme.txt': 'not media, not a sidecar',
        });
        const all = await get(op, '/ops/ingest/unmatched');
        const byPath = Object.fromEntries(all.items.map((i: any) => [i.path, i.reason]));
        assert.deepEqual(byPath, {
          'INBOX/s/orphan.xmp': 'missing_parent',
          'INBOX/s/twin.srt': 'ambiguous_parent',
          'INBOX/s/clip.lrv': 'disabled_by_policy',
        });
        assert.equal(all.total, 3);

        const assets = await core.server.operator.listAssets();
        const diag = await get(op, '/ops/ingest/diagnostics');
        assert.equal(
          diag.queued,
          assets.filter((a) => a.state === 'DISCOVERED' || a.state === 'READY').length,
        );
        assert.equal(diag.missing, 0);
        assert.equal(diag.unmatched_sidecars, 3);
        assert.deepEqual(
          diag.latest_unmatched.map((i: any) => i.path).sort(),
          Object.keys(byPath).sort(),
        );

        const ambiguous = await get(
          op,
          '/ops/ingest/unmatched',
          '/ops/ingest/unmatched?reason=ambiguous_parent',
        );
        assert.deepEqual(
          ambiguous.items.map((i: any) => i.path),
          ['INBOX/s/twin.srt'],
        );
        const limited = await get(op, '/ops/ingest/unmatched', '/ops/ingest/unmatched?limit=1');
        assert.equal(limited.items.length, 1);
        assert.equal(limited.total, 3);
        const future = await get(
          op,
          '/ops/ingest/unmatched',
          `/ops/ingest/unmatched?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
        );
        assert.deepEqual(future, { items: [], total: 0 });
        const past = await get(
          op,
          '/ops/ingest/unmatched',
          '/ops/ingest/unmatched?since=2020-01-01T00:00:00%2B02:00',
        );
        assert.equal(past.total, 3);
        for (const bad of [
          'since=yesterday',
          'since=2026-13-45T99:00:00Z',
          'reason=lost',
          'limit=0',
        ]) {
          const res = await op.request('GET', `/ops/ingest/unmatched?${bad}`);
          assert.equal(res.status, 400, bad);
          assert.equal(res.body.code, 'VALIDATION_FAILED');
          assert.match(res.body.message, new RegExp(bad.split('=')[0]!));
          assert.deepEqual(
            contract.responseErrors('GET', '/ops/ingest/unmatched', 400, res.body),
            [],
          );
        }

        // A rescan keeps when each was first seen; fixed problems leave the list.
        await core.server.scanNow();
        const again = await get(op, '/ops/ingest/unmatched');
        assert.deepEqual(again.items, all.items);
        await rm(path.join(core.root, 'INBOX/s/orphan.xmp'));
        await rm(path.join(core.root, 'INBOX/s/a.jpg')); // its sidecar loses its parent
        await core.server.scanNow();
        const after = await get(op, '/ops/ingest/unmatched');
        const afterByPath = Object.fromEntries(after.items.map((i: any) => [i.path, i.reason]));
        assert.deepEqual(afterByPath, {
          'INBOX/s/a.xmp': 'missing_parent',
          'INBOX/s/twin.srt': 'ambiguous_parent',
          'INBOX/s/clip.lrv': 'disabled_by_policy',
        });
        const twin = (x: any) =>
          x.items.find((i: any) => i.path === 'INBOX/s/twin.srt').detected_at;
        assert.equal(twin(after), twin(all));
        const diag2 = await get(op, '/ops/ingest/diagnostics');
        assert.equal(diag2.missing, 1, 'a.jpg is recorded but no longer in INBOX');
        assert.equal(diag2.unmatched_sidecars, 3);
      });
    },
  );

  test(
    `${backend.name}: requeue: an asset whose jobs are queued is deduplicated; once they failed for good it is processed again; targets by uuid, path or sidecar path`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(backend, async (core, op) => {
        const ids = await op.discover({ 'r/shot.jpg': 'photo', 'r/shot.xmp': 'metadata' });
        const uuid = ids['INBOX/r/shot.jpg']!;
        const jobsOf = async () => core.server.context.store.listAssetJobs(uuid);
        const pending = (await jobsOf()).filter((j) => j.status === 'pending').length;
        assert.ok(pending > 0);

        const queued = await requeue(op, { asset_uuid: uuid, reason: 'manual_recovery' });
        assert.deepEqual(queued, {
          accepted: true,
          target: { asset_uuid: uuid },
          requeued_assets: 0,
          requeued_jobs: 0,
          deduplicated_jobs: pending,
        });

        const agent = await TestAgent.enrol(core.server);
        for (const job of await jobsOf()) {
          const c = await agent.claim(job.job_id);
          assert.equal(c.status, 200, JSON.stringify(c.body));
          const f = await agent.fail(job.job_id, {
            lock_token: c.body.lock_token,
            fencing_token: c.body.fencing_token,
            error_code: 'IMAGE_UNREADABLE',
            message: 'Corrupt JPEG',
            retryable: false,
          });
          assert.equal(f.status, 200, JSON.stringify(f.body));
        }
        assert.ok((await jobsOf()).every((j) => j.status === 'failed'));

        // The sidecar's path names its asset too (include_sidecars defaults to true) …
        const bySidecarOff = await requeue(
          op,
          { path: 'INBOX/r/shot.xmp', include_sidecars: false, reason: 'x' },
          404,
        );
        assert.equal(bySidecarOff.code, 'VALIDATION_FAILED');
        const done = await requeue(op, { path: 'INBOX/r/shot.xmp', reason: 'preview_backfill' });
        assert.equal(done.requeued_assets, 1);
        assert.equal(done.deduplicated_jobs, 0);
        assert.deepEqual(done.target, { path: 'INBOX/r/shot.xmp' });
        const after = await jobsOf();
        assert.equal(done.requeued_jobs, after.filter((j) => j.status === 'pending').length);
        assert.ok(done.requeued_jobs > 0);
        assert.ok(
          after.every((j) => j.status === 'pending'),
          'the failed jobs were replanned',
        );
        const asset = await core.server.context.store.getAsset(uuid);
        assert.equal(asset!.state, 'READY');

        // Asking again while those jobs wait changes nothing.
        const twice = await requeue(op, { path: 'INBOX/r/shot.jpg', reason: 'again' });
        assert.equal(twice.requeued_assets, 0);
        assert.equal(twice.deduplicated_jobs, done.requeued_jobs);
      });
    },
  );

  test(
    `${backend.name}: requeue refuses bad targets with words: 400 for a malformed body, 404 for nothing there`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(backend, async (_core, op) => {
        const cases: [unknown, RegExp][] = [
          [{ asset_uuid: randomUUID() }, /reason/],
          [{ reason: 'x' }, /asset_uuid or path/],
          [{ asset_uuid: 'not-a-uuid', reason: 'x' }, /asset_uuid/],
          [{ path: '../etc/passwd', reason: 'x' }, /path/],
          [{ path: 'INBOX/a.jpg', reason: 'x', force: true }, /force/],
          [{ path: 'INBOX/a.jpg', reason: 'x', include_derived: false }, /include_derived/],
        ];
        for (const [body, words] of cases) {
          const res = await requeue(op, body, 400);
          assert.equal(res.code, 'VALIDATION_FAILED');
          assert.match(res.message, words, JSON.stringify(body));
        }
        const empty = await op.request('POST', '/ops/ingest/requeue', {});
        assert.equal(empty.status, 400);
        const unknown = await requeue(op, { asset_uuid: randomUUID(), reason: 'x' }, 404);
        assert.match(unknown.message, /not found/);
        const nowhere = await requeue(op, { path: 'INBOX/none.jpg', reason: 'x' }, 404);
        assert.match(nowhere.message, /INBOX\/none\.jpg/);
      });
    },
  );
}
