// Two replicas on one PostgreSQL database and one storage root: a move that replica B applies
// (for a reviewer's request it serves) crashes half way. While B lives, the leader A leaves B's
// move alone; once B is gone, A's sweep finishes it: ARCHIVED with the files in ARCHIVE/, the
// journal empty, one MOVE_APPLIED — without waiting for the move lock to expire.
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { waitFor } from '@retaia/protocol/testing/wait-for.js';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import type { MoveHookPoint } from '../src/moves/index.js';
import { startCoreServer } from '../src/index.js';
import { HumanSession } from './support/human-session.js';
import type { TestCore } from './support/signed-test-client.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());
if (cluster.skipReason) console.log(`# replica move recovery skipped: ${cluster.skipReason}`);

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

test(
  "a replica's half-done move: left alone while it lives, finished by the leader once it is gone",
  { skip: cluster.skipReason },
  async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'core-replica-move-'));
    const root = path.join(base, 'storage');
    const databaseUrl = await cluster.createDatabase();
    const start = (name: string, crashAt?: MoveHookPoint) =>
      startCoreServer({
        storageRoot: root,
        initStorage: true,
        storageId: 'nas-test',
        dataDir: path.join(base, name),
        databaseUrl,
        port: 0,
        scanIntervalMs: 0,
        sweepIntervalMs: 100,
        stabilityWindowMs: 0,
        buildReviewUi: false,
        logger: pino({ level: 'silent' }),
        ...(crashAt
          ? {
              moveHooks: {
                at(point: MoveHookPoint) {
                  if (point === crashAt) throw new Error(`simulated crash at ${point}`);
                },
              },
            }
          : {}),
      });
    const leader = await start('a');
    const follower = await start('b', 'files_applied');
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    let followerClosed = false;
    try {
      // The leader discovers; the reviewer's requests go to the follower.
      const onLeader = await HumanSession.open({ server: leader, root } as TestCore);
      const onFollower = await HumanSession.open({ server: follower, root } as TestCore);
      const uuid = (
        await onLeader.discover({ 'r/take.mov': 'original bytes', 'r/take.srt': 'subtitles' })
      )['INBOX/r/take.mov']!;
      await db.query(`UPDATE assets SET state = 'DECISION_PENDING' WHERE uuid = $1`, [uuid]);
      const kept = await onFollower.decide(uuid, 'DECIDED_KEEP');
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      const applied = await onFollower.applyDecisions([uuid], false);
      assert.equal(applied.status, 500, 'the injected crash aborts the request');
      assert.equal((await leader.context.store.moveJournal.unfinishedEntries()).length, 1);

      // The follower still runs: many leader sweeps later its move is still its own.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((await leader.context.store.moveJournal.unfinishedEntries()).length, 1);
      assert.equal(
        (await onFollower.request('GET', `/assets/${uuid}`)).body.summary.state,
        'DECIDED_KEEP',
      );

      await follower.close();
      followerClosed = true;
      await waitFor(
        async () => (await leader.context.store.moveJournal.unfinishedEntries()).length === 0,
        {
          timeoutMs: 30_000,
          intervalMs: 100,
          what: "the leader to recover the gone replica's move",
        },
      );
      const d = await onLeader.request('GET', `/assets/${uuid}`);
      assert.equal(d.body.summary.state, 'ARCHIVED', JSON.stringify(d.body.summary));
      assert.ok(await exists(path.join(root, 'ARCHIVE/r/take.mov')));
      assert.ok(await exists(path.join(root, 'ARCHIVE/r/take.srt')));
      assert.ok(!(await exists(path.join(root, 'INBOX/r/take.mov'))));
      assert.deepEqual([...(await leader.context.store.lockedAssetUuids(Date.now()))], []);
      const audit = await db.query(
        `SELECT action FROM asset_audit WHERE asset_uuid = $1 AND action LIKE 'MOVE_%'`,
        [uuid],
      );
      assert.deepEqual(audit.rows, [{ action: 'MOVE_APPLIED' }]);
    } finally {
      await db.end();
      if (!followerClosed) await follower.close();
      await leader.close();
      await rm(base, { recursive: true, force: true });
    }
  },
);
