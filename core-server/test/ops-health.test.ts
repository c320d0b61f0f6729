/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked against the contract, not typed */
// GET /ops/readiness, GET /ops/jobs/queue, GET /ops/locks, POST /ops/locks/recover over real HTTP
// on a real Core (SQLite and PostgreSQL stores, real files): contract shapes, actor rules, and
// stale-lock recovery that never loses a file (an orphan lock is dropped; a move interrupted
// mid-way is finished, once, even when two recoveries race).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AssetLockKind, MoveHookPoint } from '../src/moves/index.js';
import { ReadinessProbe } from '../src/server/readiness.js';
import type { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { contract, okCall as ok, storeBackends, withOpsCore } from './support/ops-backends.js';
import { TestAgent, http, type TestCore } from './support/signed-test-client.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );
const dbOf = (core: TestCore) => (core.server.context.store as SqliteCoreStore).db;
const backends = await storeBackends();

/** Runs `fn` with the Core's clock moved `byMs` ahead, then puts it back. */
async function later<T>(core: TestCore, byMs: number, fn: () => Promise<T>): Promise<T> {
  const real = core.server.context.clock;
  core.server.context.clock = () => real() + byMs;
  try {
    return await fn();
  } finally {
    core.server.context.clock = real;
  }
}

for (const backend of backends) {
  test(
    `${backend.name}: every /ops route of the operations surface is for users only: 401 without a bearer, 403 FORBIDDEN_ACTOR for an agent`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(backend, async (core) => {
        const agent = await TestAgent.enrol(core.server);
        const routes: [string, string, unknown?][] = [
          ['GET', '/ops/readiness'],
          ['GET', '/ops/jobs/queue'],
          ['GET', '/ops/locks'],
          ['POST', '/ops/locks/recover', { dry_run: true }],
          ['GET', '/ops/ingest/diagnostics'],
          ['GET', '/ops/ingest/unmatched'],
          ['POST', '/ops/ingest/requeue', { asset_uuid: randomUUID(), reason: 'test' }],
        ];
        for (const [method, p, body] of routes) {
          const init = {
            method,
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          };
          const json: Record<string, string> =
            body !== undefined ? { 'content-type': 'application/json' } : {};
          const anon = await http(`${core.server.apiUrl}${p}`, { ...init, headers: json });
          assert.equal(anon.status, 401, `${method} ${p}`);
          assert.equal(anon.body.code, 'UNAUTHORIZED');
          assert.deepEqual(contract.responseErrors(method, p, 401, anon.body), []);
          const asAgent = await http(`${core.server.apiUrl}${p}`, {
            ...init,
            headers: { ...json, authorization: `Bearer ${agent.token}` },
          });
          assert.equal(asAgent.status, 403, `${method} ${p}: ${JSON.stringify(asAgent.body)}`);
          assert.equal(asAgent.body.code, 'FORBIDDEN_ACTOR');
          assert.deepEqual(contract.responseErrors(method, p, 403, asAgent.body), []);
        }
      });
    },
  );

  test(
    `${backend.name}: jobs queue: pending, claimed and failed per type match the queue as agents see it`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(backend, async (core, op) => {
        const empty = await ok(op, 'GET', '/ops/jobs/queue');
        assert.deepEqual(empty, {
          summary: { pending_total: 0, claimed_total: 0, failed_total: 0 },
          by_type: [],
        });
        await op.discover({ 'q/a.jpg': 'jpeg a', 'q/b.jpg': 'jpeg b', 'q/c.wav': 'wav c' });
        const agent = await TestAgent.enrol(core.server);
        const offered = (await agent.get('/jobs?limit=50')).body as any[];
        assert.ok(offered.length >= 6, `jobs planned for 3 assets: ${offered.length}`);
        const first = offered[0];
        const claim = await agent.claim(first.job_id);
        assert.equal(claim.status, 200, JSON.stringify(claim.body));
        const second = offered.find((j) => j.job_type !== first.job_type)!;
        const c2 = await agent.claim(second.job_id);
        const fail = await agent.fail(second.job_id, {
          lock_token: c2.body.lock_token,
          fencing_token: c2.body.fencing_token,
          error_code: 'IMAGE_UNREADABLE',
          message: 'unreadable',
          retryable: false,
        });
        assert.equal(fail.status, 200, JSON.stringify(fail.body));

        const q = await ok(op, 'GET', '/ops/jobs/queue');
        const pending = await core.server.context.store.listPendingJobs();
        assert.equal(q.summary.pending_total, pending.length);
        assert.equal(q.summary.claimed_total, 1);
        assert.equal(q.summary.failed_total, 1);
        const row = (t: string) => q.by_type.find((r: any) => r.job_type === t);
        assert.equal(row(first.job_type).claimed, 1);
        assert.equal(row(second.job_type).failed, 1);
        for (const r of q.by_type) {
          const mine = pending.filter((j) => j.job_type === r.job_type);
          assert.equal(r.pending, mine.length, r.job_type);
          if (mine.length === 0) assert.equal(r.oldest_pending_age_seconds, null);
          else
            assert.ok(
              Number.isInteger(r.oldest_pending_age_seconds) && r.oldest_pending_age_seconds >= 0,
            );
        }
        assert.deepEqual(
          q.by_type.map((r: any) => r.job_type),
          [...q.by_type.map((r: any) => r.job_type)].sort(),
        );
        // An hour later the oldest pending job is an hour old.
        const realClock = core.server.context.clock;
        core.server.context.clock = () => realClock() + 3_600_000;
        try {
          const later = await ok(op, 'GET', '/ops/jobs/queue');
          const withPending = later.by_type.find((r: any) => r.pending > 0);
          assert.ok(withPending.oldest_pending_age_seconds >= 3600, JSON.stringify(withPending));
        } finally {
          core.server.context.clock = realClock;
        }
      });
    },
  );

  test(
    `${backend.name}: locks: asset locks and job leases listed newest first with filters and paging; recover drops only stale orphans, leaves a dead replica's half-done move to the leader; a dry run changes nothing`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(
        backend,
        async (core, op) => {
          const ids = await op.discover({
            'l/one.jpg': '1',
            'l/two.jpg': '2',
            'l/three.jpg': '3',
            'l/four.jpg': '4',
            'l/five.jpg': '5',
          });
          const [one, two, three, four, five] = ['one', 'two', 'three', 'four', 'five'].map(
            (n) => ids[`INBOX/l/${n}.jpg`]!,
          );
          const take = (asset_uuid: string, kind: AssetLockKind, owner: string, ttl_ms: number) =>
            core.server.context.moves.journal.tryAcquireLock({
              asset_uuid,
              kind,
              owner,
              ttl_ms,
              now: new Date(),
            });
          // A replica that stops refreshing its 5-minute lock (it died), and two holders that
          // keep theirs alive for hours. The checks below run two hours later.
          assert.ok(await take(one!, 'asset_move_lock', 'core-dead-replica', 300_000));
          assert.ok(await take(two!, 'asset_purge_lock', 'core-alive', 10 * 3_600_000));
          assert.ok(await take(three!, 'asset_move_lock', 'core-slow', 10 * 3_600_000));
          // Another replica died half way through a move: that is the leader's to finish (its sweep
          // is slowed down in this test), not this request's.
          assert.ok(await take(five!, 'asset_move_lock', 'core-other-replica', 300_000));
          const at = new Date().toISOString();
          await core.server.context.moves.journal.saveEntry({
            kind: 'move',
            operation_id: randomUUID(),
            asset_uuid: five!,
            lock_owner: 'core-other-replica',
            from_state: 'DECIDED_KEEP',
            to_state: 'ARCHIVED',
            step: 'PLANNED',
            created_at: at,
            updated_at: at,
            files: [],
            new_paths: { original_relative: 'INBOX/l/five.jpg', sidecars_relative: [] },
          });
          const TWO_HOURS = 2 * 3_600_000;
          const agent = await TestAgent.enrol(core.server);
          const job = ((await agent.get('/jobs')).body as any[]).find((j) => j.asset_uuid === four);
          assert.equal((await agent.claim(job.job_id)).status, 200);

          const all = await ok(op, 'GET', '/ops/locks');
          assert.equal(all.total, 5);
          const times = all.items.map((l: any) => Date.parse(l.acquired_at));
          assert.deepEqual(
            times,
            [...times].sort((a: number, b: number) => b - a),
            'acquired_at DESC',
          );
          const lease = all.items.find((l: any) => l.lock_type === 'job_lease');
          assert.deepEqual(
            {
              id: lease.id,
              asset_uuid: lease.asset_uuid,
              actor_id: lease.actor_id,
              released_at: lease.released_at,
            },
            { id: job.job_id, asset_uuid: four, actor_id: agent.agentId, released_at: null },
          );
          const moves = await ok(op, 'GET', '/ops/locks', '/ops/locks?lock_type=asset_move_lock');
          assert.deepEqual(moves.items.map((l: any) => l.actor_id).sort(), [
            'core-dead-replica',
            'core-other-replica',
            'core-slow',
          ]);
          const ofThree = await ok(op, 'GET', '/ops/locks', `/ops/locks?asset_uuid=${three}`);
          assert.deepEqual(
            ofThree.items.map((l: any) => [l.lock_type, l.actor_id]),
            [['asset_move_lock', 'core-slow']],
          );
          const ofFour = await ok(op, 'GET', '/ops/locks', `/ops/locks?asset_uuid=${four}`);
          assert.deepEqual(
            ofFour.items.map((l: any) => l.lock_type),
            ['job_lease'],
          );
          const page = await ok(op, 'GET', '/ops/locks', '/ops/locks?limit=2&offset=3');
          assert.equal(page.total, 5);
          assert.deepEqual(page.items, all.items.slice(3));
          const bad = await op.request('GET', '/ops/locks?limit=201');
          assert.equal(bad.status, 400);
          assert.equal(bad.body.code, 'VALIDATION_FAILED');

          const lockRows = async () =>
            (
              await core.server.context.store.ops.listOperationLocks({ limit: 200, offset: 0 })
            ).items
              .filter((l) => l.lock_type !== 'job_lease')
              .sort((a, b) => a.actor_id.localeCompare(b.actor_id));
          const before = await lockRows();
          const recover = (body?: unknown) =>
            later(core, TWO_HOURS, () =>
              ok(op, 'POST', '/ops/locks/recover', '/ops/locks/recover', body),
            );
          const dry = await recover({ dry_run: true });
          assert.deepEqual(dry, { stale_examined: 2, recovered: 1, dry_run: true });
          assert.deepEqual(await lockRows(), before, 'a dry run changes nothing');
          const now = await ok(op, 'POST', '/ops/locks/recover', '/ops/locks/recover', {});
          assert.deepEqual(now, { stale_examined: 0, recovered: 0, dry_run: false }, 'inside TTL');

          const notYet = await recover({ stale_lock_minutes: 180 });
          assert.deepEqual(
            notYet,
            { stale_examined: 0, recovered: 0, dry_run: false },
            'younger than 3 h',
          );

          const real = await recover({});
          assert.deepEqual(real, { stale_examined: 2, recovered: 1, dry_run: false });
          assert.deepEqual(
            (await lockRows()).map((r) => r.actor_id),
            ['core-alive', 'core-other-replica', 'core-slow'],
            'live locks are kept, however old; a dead replica’s half-done move is left to the leader',
          );
          assert.equal((await core.server.context.moves.journal.unfinishedEntries()).length, 1);
          assert.equal((await ok(op, 'GET', '/ops/locks')).total, 4);
          const again = await recover();
          assert.deepEqual(again, { stale_examined: 1, recovered: 0, dry_run: false });

          const invalid = await op.request('POST', '/ops/locks/recover', {
            body: { stale_lock_minutes: 0 },
          });
          assert.equal(invalid.status, 400);
          assert.match(invalid.body.message, /stale_lock_minutes/);
          const unknown = await op.request('POST', '/ops/locks/recover', {
            body: { dryrun: true },
          });
          assert.equal(unknown.status, 400, 'a misspelt dry_run must not run for real');
          assert.equal((await lockRows()).length, 3);
        },
        { sweepIntervalMs: 3_600_000 },
      );
    },
  );

  test(
    `${backend.name}: readiness: ok; a missing storage marker is degraded while self-healing, down past 300 s, ok once back`,
    { skip: backend.skip },
    async () => {
      await withOpsCore(backend, async (core, op) => {
        const first = await ok(op, 'GET', '/ops/readiness');
        assert.equal(first.status, 'ok', JSON.stringify(first));
        assert.deepEqual(first.self_healing, {
          active: false,
          deadline_at: null,
          max_self_healing_seconds: 300,
        });
        assert.deepEqual(
          first.checks.map((c: any) => [c.name, c.status]),
          [
            ['database', 'ok'],
            ['storage_marker', 'ok'],
            ['discovery_scan', 'ok'],
          ],
        );

        const marker = path.join(core.root, '.retaia');
        await rename(marker, `${marker}.away`); // the volume is unmounted
        const realClock = core.server.context.clock;
        const t0 = realClock();
        core.server.context.clock = () => t0;
        try {
          const degraded = await ok(op, 'GET', '/ops/readiness');
          assert.equal(degraded.status, 'degraded');
          assert.equal(degraded.self_healing.active, true);
          assert.equal(Date.parse(degraded.self_healing.deadline_at), t0 + 300_000);
          const check = degraded.checks.find((c: any) => c.name === 'storage_marker');
          assert.equal(check.status, 'fail');
          assert.match(check.message, /mounted/);

          core.server.context.clock = () => t0 + 301_000;
          const down = await ok(op, 'GET', '/ops/readiness');
          assert.equal(down.status, 'down');
          assert.deepEqual(down.self_healing, {
            active: false,
            deadline_at: null,
            max_self_healing_seconds: 300,
          });
        } finally {
          core.server.context.clock = realClock;
          await rename(`${marker}.away`, marker);
        }
        const back = await ok(op, 'GET', '/ops/readiness');
        assert.equal(back.status, 'ok');
      });
    },
  );
}

// SQLite only: they reach into the database file (a closed handle, a forced state).
test('recover finishes a move this Core left half done (its lock gone stale): the file ends up archived exactly once, never lost, even with two recoveries at once', async () => {
  let crashAt: MoveHookPoint | undefined = 'file_linked';
  await withOpsCore(
    undefined,
    async (core, op) => {
      const ids = await op.discover({ 'm/take.mov': 'original bytes' });
      const uuid = ids['INBOX/m/take.mov']!;
      op.forceState(uuid, 'DECISION_PENDING');
      assert.equal((await op.decide(uuid, 'DECIDED_KEEP')).status, 200);
      const applied = await op.applyDecisions([uuid], false);
      assert.equal(applied.status, 500, 'the injected crash aborts the move half way');
      crashAt = undefined;
      const db = dbOf(core);
      const journalStep = () =>
        (db.prepare('SELECT step FROM move_journal WHERE asset_uuid = ?').get(uuid) as any).step;
      assert.equal(journalStep(), 'PLANNED');
      // Not stale yet: the lock is inside its TTL.
      const fresh = await ok(op, 'POST', '/ops/locks/recover', '/ops/locks/recover', {
        stale_lock_minutes: 1,
      });
      assert.equal(fresh.stale_examined, 0);
      // Two hours later, the crashed holder never came back.
      db.prepare(
        'UPDATE asset_locks SET acquired_at_ms = acquired_at_ms - 7200000, expires_at_ms = ?',
      ).run(Date.now() - 1000);
      const dry = await ok(op, 'POST', '/ops/locks/recover', '/ops/locks/recover', {
        dry_run: true,
      });
      assert.deepEqual(dry, { stale_examined: 1, recovered: 1, dry_run: true });
      assert.equal(journalStep(), 'PLANNED', 'dry run: journal untouched');
      assert.ok(await exists(path.join(core.root, 'INBOX/m/take.mov')), 'dry run: file untouched');

      // Two operators (or two replicas) at once: the operation is resumed exactly once.
      const both = await Promise.all([
        ok(op, 'POST', '/ops/locks/recover', '/ops/locks/recover'),
        ok(op, 'POST', '/ops/locks/recover', '/ops/locks/recover'),
      ]);
      assert.deepEqual(both.map((r) => r.recovered).sort(), [0, 1], JSON.stringify(both));
      assert.equal(journalStep(), 'DONE');
      const audit = db
        .prepare(`SELECT action FROM asset_audit WHERE asset_uuid = ? AND action LIKE 'MOVE_%'`)
        .all(uuid);
      assert.deepEqual(audit, [{ action: 'MOVE_APPLIED' }]);
      assert.equal(
        await readFile(path.join(core.root, 'ARCHIVE/m/take.mov'), 'utf8'),
        'original bytes',
      );
      assert.ok(!(await exists(path.join(core.root, 'INBOX/m/take.mov'))));
      const detail = await op.request('GET', `/assets/${uuid}`);
      assert.equal(detail.body.summary.state, 'ARCHIVED');
      assert.equal((await ok(op, 'GET', '/ops/locks')).total, 0);
    },
    {
      moveHooks: {
        at(point: MoveHookPoint) {
          if (point === crashAt) throw new Error(`simulated crash at ${point}`);
        },
      },
    },
  );
});

test('readiness: discovery late by three intervals fails its check; a closed database is down', async () => {
  await withOpsCore(
    undefined,
    async (core, op) => {
      // The first scan runs at start; wait until it is recorded.
      for (let i = 0; i < 200 && !(await core.server.context.store.ops.lastIngestScanAt()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const fresh = await ok(op, 'GET', '/ops/readiness');
      const scan = fresh.checks.find((c: any) => c.name === 'discovery_scan');
      assert.equal(scan.status, 'ok', JSON.stringify(scan));
      assert.match(scan.message, /last scan finished/);

      const late = await later(core, 10 * 3_600_000, () => ok(op, 'GET', '/ops/readiness'));
      assert.equal(late.status, 'degraded');
      assert.equal(late.self_healing.active, false);
      assert.equal(late.checks.find((c: any) => c.name === 'discovery_scan').status, 'fail');
      // Late discovery is the leader's problem, shared by every replica: never `down` for it.
      const stillLate = await later(core, 10 * 3_600_000 + 400_000, () =>
        ok(op, 'GET', '/ops/readiness'),
      );
      assert.equal(stillLate.status, 'degraded');

      // Without a database nobody can even log in, so the probe is asked directly.
      const probe = new ReadinessProbe(core.server.context);
      dbOf(core).close();
      const snapshot = await probe.check();
      assert.equal(snapshot.status, 'down');
      assert.equal(snapshot.checks.find((c) => c.name === 'database')!.status, 'fail');
    },
    { scanIntervalMs: 3_600_000 },
  );
});
