/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
// The SQLite store answers bearer and agent lookups from memory (store/sqlite/auth-lookup-cache.ts).
// These tests make the changes a cache could miss and check that the next request sees them:
// a token revoked and an agent re-keyed by ANOTHER connection (the operator CLI, a second
// process), and a cached token that expires with no write at all.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { generateAgentKey } from '@retaia/protocol';
import Database from 'better-sqlite3';
import { AuthLookupCache } from '../src/store/sqlite/auth-lookup-cache.js';
import {
  AGENT_COLUMNS_THAT_MAY_LAG,
  AGENT_IDENTITY_COLUMNS,
} from '../src/store/sqlite/auth-lookup-sql.js';
import { openDatabase } from '../src/store/sqlite/open-database.js';
import { SqliteAccountsStore } from '../src/store/sqlite/sqlite-accounts-store.js';
import { fromAnotherConnection } from './support/another-connection.js';
import { startTestCore, TestAgent } from './support/signed-test-client.js';
import { agentRecord } from './store-conformance/fixtures.js';

/** A migrated database in a temp dir, closed and deleted after the test. */
async function freshDatabase(t: TestContext) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'auth-cache-'));
  const db = openDatabase(dir);
  t.after(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, db };
}

/** Client c1 with token hash h1, valid until `expiresAtMs`. */
function addClientToken(db: Database.Database, expiresAtMs: number): void {
  db.prepare(
    `INSERT INTO clients (client_id, client_kind, approved_at, approved_by_user_id, created_at)
     VALUES ('c1', 'AGENT', 'x', 'u', 'x')`,
  ).run();
  db.prepare(`INSERT INTO client_tokens VALUES ('h1', 'c1', ?)`).run(expiresAtMs);
}

test('a token revoked by another connection is refused from the next request', async (t) => {
  const core = await startTestCore();
  t.after(() => core.dispose());
  const agent = await TestAgent.enrol(core.server);
  for (let i = 0; i < 3; i++) assert.equal((await agent.get('/jobs')).status, 200, 'cached');

  const revoked = fromAnotherConnection(
    core.dataDir,
    'DELETE FROM client_tokens WHERE client_id = ?',
    agent.clientId,
  );
  assert.equal(revoked, 1);
  const after = await agent.get('/jobs');
  assert.equal(after.status, 401, JSON.stringify(after.body));
});

test('an agent re-keyed by another connection cannot sign with its old key', async (t) => {
  const core = await startTestCore();
  t.after(() => core.dispose());
  await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
  await writeFile(path.join(core.root, 'INBOX', 'a.jpg'), 'photo');
  await core.server.scanNow();
  await core.server.scanNow();
  const agent = await TestAgent.enrol(core.server);
  const jobs = (await agent.get('/jobs')).body as { job_id: string }[];
  assert.ok(jobs.length >= 2, JSON.stringify(jobs));
  // A signed write puts the agent's record (and its key) in the cache.
  const first = await agent.claim(jobs[0]!.job_id);
  assert.equal(first.status, 200, JSON.stringify(first.body));

  const other = await generateAgentKey('rotated elsewhere');
  fromAnotherConnection(
    core.dataDir,
    'UPDATE agents SET public_key = ?, fingerprint = ? WHERE agent_id = ?',
    other.publicKeyArmored,
    other.fingerprint,
    agent.agentId,
  );
  const second = await agent.claim(jobs[1]!.job_id);
  assert.equal(second.status, 401, JSON.stringify(second.body));
});

test('a cached token stops working when it expires, with no write to notice', async (t) => {
  const { db } = await freshDatabase(t);
  addClientToken(db, 1000);
  const store = new SqliteAccountsStore(db);
  assert.equal((await store.findClientByToken('h1', 999))?.client_id, 'c1');
  assert.equal(await store.findClientByToken('h1', 1000), undefined, 'expired while cached');
  assert.equal(await store.findClientByToken('nope', 0), undefined);
});

test('only identity changes to an agent empty the cache; its last-seen times do not', async (t) => {
  const { db } = await freshDatabase(t);
  const version = () =>
    (db.prepare('SELECT version FROM auth_version').get() as { version: number }).version;
  const store = new SqliteAccountsStore(db);
  const agent = agentRecord('a1', 'c1');
  await store.saveAgent(agent);
  const saved = version();
  const cached = await store.getAgent('a1');
  assert.ok(Object.isFrozen(cached), 'shared records are frozen');
  await store.touchAgent('a1', Date.now());
  assert.equal(version(), saved, 'a touch keeps the cache');
  assert.equal(await store.getAgent('a1'), cached, 'served from memory');
  await store.saveAgent({ ...agent, public_key: 'k2' });
  assert.ok(version() > saved, 'a re-registration empties it');
  assert.equal((await store.getAgent('a1'))?.public_key, 'k2');
});

test('every agents column is either an identity column or one that may lag', async (t) => {
  const { db } = await freshDatabase(t);
  const columns = (db.prepare('PRAGMA table_info(agents)').all() as { name: string }[])
    .map((c) => c.name)
    .sort();
  assert.deepEqual(columns, [...AGENT_IDENTITY_COLUMNS, ...AGENT_COLUMNS_THAT_MAY_LAG].sort());
});

test('inside a transaction nothing is cached (its writes may roll back)', async (t) => {
  const { db } = await freshDatabase(t);
  const cache = new AuthLookupCache(db);
  let loads = 0;
  const load = () => {
    loads++;
    return { client: { client_id: 'c' } as any, expiresAtMs: Infinity };
  };
  db.transaction(() => {
    cache.lookup('clientByToken', 'h', undefined, load);
    cache.lookup('clientByToken', 'h', undefined, load);
  })();
  assert.equal(loads, 2);
  cache.lookup('clientByToken', 'h', undefined, load);
  cache.lookup('clientByToken', 'h', undefined, load);
  assert.equal(loads, 3, 'outside, the second is a hit');
});

test('a request is served as of its first lookup; the next request sees a revocation', async (t) => {
  const { dir, db } = await freshDatabase(t);
  addClientToken(db, 9e15);
  const store = new SqliteAccountsStore(db);
  const request = {};
  assert.equal((await store.findClientByToken('h1', 0, request))?.client_id, 'c1');
  fromAnotherConnection(dir, `DELETE FROM client_tokens WHERE token_hash = 'h1'`);
  assert.equal(
    (await store.findClientByToken('h1', 0, request))?.client_id,
    'c1',
    'the same request, checked at its first lookup',
  );
  assert.equal(await store.findClientByToken('h1', 0, {}), undefined, 'the next request');
  assert.equal(await store.findClientByToken('h1', 0), undefined, 'a lookup for no request');
});

test('a deferred request reads no auth version; its answers are labelled with the one held', async (t) => {
  const { dir, db } = await freshDatabase(t);
  addClientToken(db, 9e15);
  const store = new SqliteAccountsStore(db);
  const prepare = db.prepare.bind(db);
  let versionReads = 0;
  db.prepare = ((sql: string) => {
    if (sql.includes('FROM auth_version')) versionReads++;
    return prepare(sql);
  }) as typeof db.prepare;

  await store.findClientByToken('h1', 0, {}); // an ordinary request: reads it, fills the cache
  assert.equal(
    store.authChecks.versionOf({}),
    undefined,
    'a request with no lookups has no version',
  );
  versionReads = 0;

  const deferred = {};
  store.authChecks.defer(deferred);
  assert.equal((await store.findClientByToken('h1', 0, deferred))?.client_id, 'c1');
  assert.equal(versionReads, 0, 'answered from the cache without a read');
  const asOf = store.authChecks.versionOf(deferred);
  assert.equal(typeof asOf, 'number');
  assert.equal(store.authChecks.changedSince(deferred), false, 'nothing changed');

  fromAnotherConnection(dir, `DELETE FROM client_tokens WHERE token_hash = 'h1'`);
  assert.equal(store.authChecks.changedSince(deferred), true, 'the revocation is seen when asked');
  store.authChecks.recheck(deferred);
  assert.equal(await store.findClientByToken('h1', 0, deferred), undefined, 'rechecked: refused');
  assert.ok(store.authChecks.versionOf(deferred)! > asOf!, 'labelled with the version read now');
});
