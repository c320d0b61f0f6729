// Two replicas on one PostgreSQL database and one storage root: a move that replica B applies
// (for a reviewer's request it serves) crashes half way. While B lives, the leader A leaves B's
// move alone; once B is gone, A's sweep finishes it: ARCHIVED with the files in ARCHIVE/, the
// journal empty, one MOVE_APPLIED — without waiting for the move lock to expire.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import type { MoveHookPoint } from '../src/moves/index.js';
import { startCoreServer, type RunningCoreServer } from '../src/index.js';
import { http } from './support/signed-test-client.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());
if (cluster.skipReason) console.log(`# replica move recovery skipped: ${cluster.skipReason}`);

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function session(server: RunningCoreServer) {
  const login = await http(`${server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'op@example.test', password: 'pw-123456' }),
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const token = login.body.access_token as string;
  return (method: string, p: string, body?: unknown, extra: Record<string, string> = {}) =>
    http(`${server.apiUrl}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...extra,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
}

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
      await leader.operator.addUser('op@example.test', 'pw-123456');
      await mkdir(path.join(root, 'INBOX/r'), { recursive: true });
      await writeFile(path.join(root, 'INBOX/r/take.mov'), 'original bytes');
      await writeFile(path.join(root, 'INBOX/r/take.srt'), 'subtitles');
      await leader.scanNow();
      await leader.scanNow();
      const uuid = (await leader.operator.listAssets())[0]!.uuid;
      await db.query(`UPDATE assets SET state = 'DECISION_PENDING' WHERE uuid = $1`, [uuid]);
      const call = await session(follower);
      const etag = (await call('GET', `/assets/${uuid}`)).headers.get('etag')!;
      const kept = await call(
        'PATCH',
        `/assets/${uuid}`,
        { state: 'DECIDED_KEEP' },
        { 'if-match': etag },
      );
      assert.equal(kept.status, 200, JSON.stringify(kept.body));
      const applied = await call(
        'POST',
        '/ops/decisions/apply',
        { dry_run: false, asset_uuids: [uuid] },
        { 'idempotency-key': randomUUID() },
      );
      assert.equal(applied.status, 500, 'the injected crash aborts the request');
      assert.equal((await leader.context.store.moveJournal.unfinishedEntries()).length, 1);

      // The follower still runs: many leader sweeps later its move is still its own.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((await leader.context.store.moveJournal.unfinishedEntries()).length, 1);
      assert.equal((await call('GET', `/assets/${uuid}`)).body.summary.state, 'DECIDED_KEEP');

      await follower.close();
      followerClosed = true;
      const deadline = Date.now() + 30_000;
      while ((await leader.context.store.moveJournal.unfinishedEntries()).length > 0) {
        assert.ok(Date.now() < deadline, "the leader never recovered the gone replica's move");
        await new Promise((r) => setTimeout(r, 100));
      }
      const again = await session(leader);
      const d = await again('GET', `/assets/${uuid}`);
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
