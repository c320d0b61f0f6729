// Leadership of discovery, sweeps and recovery among replicas: SQLite always leads (one
// process); on PostgreSQL exactly one holder of the advisory lock, and a follower takes over at
// its next attempt when the holder dies (SIGKILL), is cut off, or freezes past its lease.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import pg from 'pg';
import { waitFor as sharedWaitFor } from '@retaia/protocol/testing/wait-for.js';
import { startPostgresCluster } from '../../scripts/test-support/postgres-cluster.js';
import {
  InMemoryMoveJournal,
  type MoveContext,
  type MoveJournalEntry,
} from '../src/moves/index.js';
import { movesOfDeadOwners, SingleProcessLeadership } from '../src/server/leadership.js';
import { PostgresLeadership } from '../src/server/leadership-postgres.js';

const cluster = await startPostgresCluster();
after(() => cluster.stop());
if (cluster.skipReason) console.log(`# PostgreSQL leadership tests skipped: ${cluster.skipReason}`);
const pgTest = (name: string, fn: () => Promise<void>) =>
  test(name, { skip: cluster.skipReason }, fn);

const HOLDER = fileURLToPath(new URL('./support/leadership-holder.ts', import.meta.url));

/** Polls `cond` every 50 ms; fails naming `what` after a generous deadline (loaded CI). */
const waitFor = (what: string, cond: () => boolean | Promise<boolean>, ms = 30_000) =>
  sharedWaitFor(cond, { timeoutMs: ms, intervalMs: 50, what });

/** A leadership holder in its own process; `states` collects its {"leader":…} lines. */
function startHolder(url: string, owner: string, leaseMs: number) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', HOLDER, url, owner, String(leaseMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const states: boolean[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => states.push(JSON.parse(l).leader));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  after(() => {
    child.kill('SIGKILL');
    return exited;
  });
  return { child, states, exited };
}

test('SQLite: the one process always leads, and only its own move owner is alive', async () => {
  const l = new SingleProcessLeadership('core-1');
  let acquired = 0;
  await l.start({ onAcquired: () => void acquired++ });
  assert.equal(acquired, 1);
  assert.equal(l.isLeader(), true);
  assert.equal(await l.attempt(), true);
  assert.equal(await l.ownerAlive('core-1'), true);
  assert.equal(await l.ownerAlive('core-0-from-an-earlier-run'), false);
  await l.close();
  assert.equal(l.isLeader(), false);
});

pgTest(
  'PostgreSQL: of two replicas exactly one leads; closing it hands over at the next attempt',
  async () => {
    const url = await cluster.createDatabase();
    const a = new PostgresLeadership({ connectionString: url, owner: 'core-a', leaseMs: 60_000 });
    const b = new PostgresLeadership({ connectionString: url, owner: 'core-b', leaseMs: 60_000 });
    const acquired: string[] = [];
    await a.start({ onAcquired: () => void acquired.push('a') });
    await b.start({ onAcquired: () => void acquired.push('b') });
    try {
      assert.deepEqual([a.isLeader(), b.isLeader()], [true, false]);
      assert.equal(await b.attempt(), false, 'a follower stays a follower while the leader lives');
      assert.equal(await a.attempt(), true, 'the leader keeps its lock');
      assert.equal(await b.ownerAlive('core-a'), true);
      assert.equal(await a.ownerAlive('core-b'), true);
      assert.equal(await a.ownerAlive('core-never-started'), false);
      // A third database is another library: its leadership is independent.
      const other = new PostgresLeadership({
        connectionString: await cluster.createDatabase(),
        owner: 'core-c',
        leaseMs: 60_000,
      });
      await other.start();
      assert.equal(other.isLeader(), true);
      await other.close();

      await a.close();
      assert.equal(a.isLeader(), false);
      // The lease is a minute, so no timer fires during the test: the hand-over is this attempt.
      assert.equal(await b.attempt(), true);
      assert.deepEqual(acquired, ['a', 'b']);
      assert.equal(await b.ownerAlive('core-a'), false, "a closed replica's move owner is dead");
    } finally {
      await a.close();
      await b.close();
    }
  },
);

pgTest(
  'PostgreSQL: the leader process SIGKILLed; the follower leads at its first attempt after',
  async () => {
    const url = await cluster.createDatabase();
    const holderOwner = `core-${randomUUID()}`;
    const holder = startHolder(url, holderOwner, 1_000);
    await waitFor('the child to lead', () => holder.states.includes(true));
    const follower = new PostgresLeadership({
      connectionString: url,
      owner: 'core-parent',
      leaseMs: 1_000,
    });
    const lost: string[] = [];
    await follower.start({ onLost: (r) => void lost.push(r) });
    try {
      assert.equal(follower.isLeader(), false);
      assert.ok(follower.intervalMs <= follower.leaseMs, 'attempts at least once per lease');
      assert.equal(await follower.ownerAlive(holderOwner), true);
      holder.child.kill('SIGKILL');
      await holder.exited;
      // The server notices the closed socket and drops the dead session's locks.
      const killedAt = Date.now();
      await waitFor(
        'the dead session to end',
        async () => !(await follower.ownerAlive(holderOwner)),
      );
      // Whether the timer got there first or this call does, the first attempt after wins.
      assert.equal(await follower.attempt(), true);
      console.log(
        `# follower leads ${Date.now() - killedAt} ms after the SIGKILL (attempt interval ${follower.intervalMs} ms)`,
      );
      assert.deepEqual(lost, []);
    } finally {
      await follower.close();
    }
  },
);

pgTest(
  'PostgreSQL: a leader whose connection is cut steps down and comes back as a follower',
  async () => {
    const url = await cluster.createDatabase();
    const a = new PostgresLeadership({ connectionString: url, owner: 'core-a', leaseMs: 60_000 });
    const b = new PostgresLeadership({ connectionString: url, owner: 'core-b', leaseMs: 60_000 });
    const lostA: string[] = [];
    await a.start({ onLost: (r) => void lostA.push(r) });
    await b.start();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      assert.equal(a.isLeader(), true);
      // Cut every leadership session but b's: that is a's.
      const ownerLocks = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted`,
      );
      assert.equal(ownerLocks.rowCount, 2, 'each replica holds its owner lock');
      await admin.query(
        `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted`,
      );
      await waitFor('a to notice', () => !a.isLeader());
      assert.equal(lostA.length, 1, `a reported the loss once: ${lostA.join('; ')}`);
      assert.equal(await b.attempt(), true, 'b takes over');
      assert.equal(await a.attempt(), false, 'a reconnects as a follower');
      assert.equal(
        await b.ownerAlive('core-a'),
        true,
        "a's reconnection holds its owner lock again",
      );
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  },
);

pgTest(
  'PostgreSQL: a frozen leader (SIGSTOP) loses the lock one lease later; on waking it steps down',
  async () => {
    const url = await cluster.createDatabase();
    const holder = startHolder(url, 'core-frozen', 1_000);
    await waitFor('the child to lead', () => holder.states.includes(true));
    const follower = new PostgresLeadership({
      connectionString: url,
      owner: 'core-parent',
      leaseMs: 1_000,
    });
    await follower.start();
    try {
      assert.equal(follower.isLeader(), false);
      holder.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      // idle_session_timeout ends the silent session; the follower's timer then takes the lock.
      await waitFor('the follower to lead', () => follower.isLeader());
      console.log(
        `# follower leads ${Date.now() - stoppedAt} ms after the leader froze (lease 1000 ms)`,
      );
      holder.child.kill('SIGCONT');
      await waitFor('the woken child to step down', () => holder.states.at(-1) === false);
      assert.equal(await follower.attempt(), true, 'the follower keeps leading');
    } finally {
      await follower.close();
    }
  },
);

/** An unfinished move journal entry of `owner`. */
const pendingMove = (id: string, owner: string): MoveJournalEntry => ({
  kind: 'move',
  operation_id: id,
  asset_uuid: `asset-${id}`,
  lock_owner: owner,
  from_state: 'DECIDED_KEEP',
  to_state: 'ARCHIVED',
  step: 'PLANNED',
  created_at: new Date(0).toISOString(),
  updated_at: new Date(0).toISOString(),
  files: [],
  new_paths: { original_relative: 'ARCHIVE/x', sidecars_relative: [] },
});
const movesWith = (entries: MoveJournalEntry[]) => {
  const journal = new InMemoryMoveJournal();
  for (const e of entries) journal.entries.set(e.operation_id, e);
  return { journal } as unknown as MoveContext;
};

pgTest(
  "PostgreSQL: recovery sees a dead replica's unfinished move, never a live replica's",
  async () => {
    const url = await cluster.createDatabase();
    const live = startHolder(url, 'core-live', 60_000);
    await waitFor('the live replica to lead', () => live.states.length > 0);
    const leader = new PostgresLeadership({
      connectionString: url,
      owner: 'core-me',
      leaseMs: 60_000,
    });
    await leader.start();
    try {
      const moves = movesWith([
        pendingMove('1', 'core-live'),
        pendingMove('2', 'core-killed'),
        pendingMove('3', 'core-me'),
      ]);
      const seen = await movesOfDeadOwners(moves, leader).journal.unfinishedEntries();
      assert.deepEqual(
        seen.map((e) => e.operation_id),
        ['2'],
      );
      live.child.kill('SIGKILL');
      await live.exited;
      await waitFor(
        'the killed replica to count as dead',
        async () => !(await leader.ownerAlive('core-live')),
      );
      const afterKill = await movesOfDeadOwners(moves, leader).journal.unfinishedEntries();
      assert.deepEqual(
        afterKill.map((e) => e.operation_id),
        ['1', '2'],
      );
    } finally {
      await leader.close();
    }
  },
);

test('SQLite: recovery sees every other owner (earlier runs), never this process', async () => {
  const moves = movesWith([pendingMove('1', 'core-earlier-run'), pendingMove('2', 'core-me')]);
  const seen = await movesOfDeadOwners(
    moves,
    new SingleProcessLeadership('core-me'),
  ).journal.unfinishedEntries();
  assert.deepEqual(
    seen.map((e) => e.operation_id),
    ['1'],
  );
});
