// Crash recovery of decision moves and purges through the SQLite-backed journal: a crash is
// injected between two steps of a real apply/purge over HTTP, the server is closed as is, and a
// new server on the same data dir + storage root must finish the operation at start.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { MoveHookPoint } from '../src/moves/index.js';
import type { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { startCoreServer, type RunningCoreServer } from '../src/index.js';
import { http } from './support/signed-test-client.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function start(base: string, crashAt?: MoveHookPoint): Promise<RunningCoreServer> {
  return startCoreServer({
    storageRoot: path.join(base, 'storage'),
    initStorage: true,
    storageId: 'nas-test',
    dataDir: path.join(base, 'data'),
    port: 0,
    scanIntervalMs: 0,
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
}

async function session(server: RunningCoreServer) {
  const login = await http(`${server.apiUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'op@example.test', password: 'pw-123456' }),
  });
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

async function decidedAsset(server: RunningCoreServer, root: string, decision: string) {
  await mkdir(path.join(root, 'INBOX/r'), { recursive: true });
  await writeFile(path.join(root, 'INBOX/r/take.mov'), 'original bytes');
  await writeFile(path.join(root, 'INBOX/r/take.srt'), 'subtitles');
  await server.scanNow();
  await server.scanNow();
  const uuid = (await server.operator.listAssets())[0]!.uuid;
  (server.context.store as SqliteCoreStore).db
    .prepare(`UPDATE assets SET state = 'DECISION_PENDING' WHERE uuid = ?`)
    .run(uuid);
  const call = await session(server);
  const etag = (await call('GET', `/assets/${uuid}`)).headers.get('etag')!;
  const r = await call('PATCH', `/assets/${uuid}`, { state: decision }, { 'if-match': etag });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return uuid;
}

for (const point of [
  'planned',
  'file_linked',
  'files_applied',
  'recorded',
  'lock_released',
] as MoveHookPoint[]) {
  test(`move crash at ${point}: restart finishes the move and publishes ARCHIVED only with the files there`, async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'core-recovery-'));
    const root = path.join(base, 'storage');
    try {
      let server = await start(base, point);
      await server.operator.addUser('op@example.test', 'pw-123456');
      const uuid = await decidedAsset(server, root, 'DECIDED_KEEP');
      const call = await session(server);
      const applied = await call(
        'POST',
        '/ops/decisions/apply',
        { dry_run: false, asset_uuids: [uuid] },
        { 'idempotency-key': randomUUID() },
      );
      assert.equal(applied.status, 500, 'the injected crash aborts the request');
      const mid = await call('GET', `/assets/${uuid}`);
      assert.equal(mid.body.summary.state, 'DECIDED_KEEP', 'no state published mid-move');
      await server.close();

      server = await start(base);
      try {
        const again = await session(server);
        const d = await again('GET', `/assets/${uuid}`);
        assert.equal(d.body.summary.state, 'ARCHIVED', JSON.stringify(d.body.summary));
        assert.equal(d.body.paths.original_relative, 'ARCHIVE/r/take.mov');
        assert.ok(await exists(path.join(root, 'ARCHIVE/r/take.mov')));
        assert.ok(await exists(path.join(root, 'ARCHIVE/r/take.srt')));
        assert.ok(!(await exists(path.join(root, 'INBOX/r/take.mov'))));
        assert.ok(!(await exists(path.join(root, 'INBOX/r/take.srt'))));
        assert.deepEqual([...(await server.context.store.lockedAssetUuids(Date.now()))], []);
        // Journal and audit agree: one MOVE_APPLIED, nothing left unfinished.
        const db = (server.context.store as SqliteCoreStore).db;
        assert.deepEqual(await server.context.store.moveJournal.unfinishedEntries(), []);
        const audit = db
          .prepare(`SELECT action FROM asset_audit WHERE asset_uuid = ? AND action LIKE 'MOVE_%'`)
          .all(uuid);
        assert.deepEqual(audit, [{ action: 'MOVE_APPLIED' }]);
      } finally {
        await server.close();
      }
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
}

test('purge crash after planning: restart finishes the purge; a repeat answers ALREADY_PURGED', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'core-recovery-'));
  const root = path.join(base, 'storage');
  try {
    let server = await start(base);
    await server.operator.addUser('op@example.test', 'pw-123456');
    const uuid = await decidedAsset(server, root, 'DECIDED_REJECT');
    let call = await session(server);
    const moved = await call(
      'POST',
      '/ops/decisions/apply',
      { dry_run: false },
      { 'idempotency-key': randomUUID() },
    );
    assert.equal(moved.body.moved, 1, JSON.stringify(moved.body));
    await server.close();

    server = await start(base, 'planned');
    call = await session(server);
    const etag = (await call('GET', `/assets/${uuid}`)).headers.get('etag')!;
    const crashed = await call(
      'POST',
      `/assets/${uuid}/purge`,
      { confirm: true },
      { 'if-match': etag, 'idempotency-key': randomUUID() },
    );
    assert.equal(crashed.status, 500);
    assert.ok(await exists(path.join(root, 'REJECTS/r/take.mov')), 'crashed before deleting');
    await server.close();

    server = await start(base);
    try {
      call = await session(server);
      const d = await call('GET', `/assets/${uuid}`);
      assert.equal(d.body.summary.state, 'PURGED');
      assert.ok(!(await exists(path.join(root, 'REJECTS/r/take.mov'))));
      assert.ok(!(await exists(path.join(root, 'REJECTS/r/take.srt'))));
      const repeat = await call(
        'POST',
        `/assets/${uuid}/purge`,
        { confirm: true },
        { 'if-match': d.headers.get('etag')!, 'idempotency-key': randomUUID() },
      );
      assert.equal(repeat.status, 200);
      assert.equal(repeat.body.status, 'ALREADY_PURGED');
    } finally {
      await server.close();
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
