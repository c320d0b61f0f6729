// The one-commit verbs for signed job writes (claimJobOnce, completeJobOnce) answer the same on
// SQLite and PostgreSQL: a replayed nonce refuses first, a failed claim still spends its nonce,
// a submit's Idempotency-Key replays its stored answer (from any store instance), a different
// body under the same key is a conflict, and the same submit raced through two instances
// completes once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { CoreStore } from '../../src/store/core-store.js';
import { addReadyAssets, ALL_CAPABILITIES, newAsset, PHOTO_FACTS } from './fixtures.js';
import { stopBackends, storeBackends } from './backends.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

const nonce = (n: string, nowMs = 2000) => ({
  agentId: 'agent-1',
  nonce: n,
  nowMs,
  windowMs: 60_000,
});
const claimInput = (jobId: string) => ({
  jobId,
  agentId: 'agent-1',
  effectiveCapabilities: ALL_CAPABILITIES,
  flags: {},
  nowMs: 2000,
  leaseTtlMs: 60_000,
});

async function once(store: CoreStore) {
  assert.ok(
    store.claimJobOnce && store.completeJobOnce,
    'both backends implement the one-commit verbs',
  );
  return { claim: store.claimJobOnce.bind(store), complete: store.completeJobOnce.bind(store) };
}

for (const b of backends) {
  test(
    `[${b.name}] claimJobOnce/completeJobOnce: nonce first, key replay and conflict, one completion`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const replica = await another();
      const [a] = await addReadyAssets(store, [newAsset(1)]);
      const facts = (await store.listAssetJobs(a!.uuid)).find(
        (j) => j.job_type === 'extract_facts',
      )!;
      const { claim, complete } = await once(store);
      const onReplica = await once(replica);

      await assert.rejects(
        claim(claimInput('no-such-job'), nonce('n0')),
        /job "no-such-job" not found/,
      );
      assert.equal(
        await store.rememberNonce('agent-1', 'n0', 2001, 60_000),
        false,
        'a failed claim spends its nonce',
      );
      const claimed = await claim(claimInput(facts.job_id), nonce('n1'));
      assert.equal(claimed.kind, 'claimed');
      if (claimed.kind !== 'claimed') return;
      assert.deepEqual(await onReplica.claim(claimInput(facts.job_id), nonce('n1')), {
        kind: 'nonce_replayed',
      });

      const input = {
        jobId: facts.job_id,
        agentId: 'agent-1',
        lockToken: claimed.job.lock_token!,
        fencingToken: claimed.job.fencing_token,
        nowMs: 3000,
        jobType: 'extract_facts' as const,
        facts: PHOTO_FACTS,
        flags: {},
      };
      const idem = {
        scope: { actor: 'agent-1', endpoint: 'submit', key: 'k1' },
        requestSha256: 'sha-1',
        nowMs: 3000,
      };
      const respond = (r: { job: { status: string } }) => ({ status: r.job.status });
      // The same submit raced through both instances: one completes, the other waits and replays
      // (or, if it ran first, the other way round) — never two completions.
      const raced = await Promise.all([
        complete(input, nonce('n2', 3000), idem, respond),
        onReplica.complete(input, nonce('n3', 3000), idem, respond),
      ]);
      assert.deepEqual(raced.map((r) => r.kind).sort(), ['completed', 'replay']);
      const replay = raced.find((r) => r.kind === 'replay')!;
      assert.deepEqual(replay, { kind: 'replay', statusCode: 200, body: { status: 'completed' } });
      assert.deepEqual(
        await complete(input, nonce('n4', 3000), { ...idem, requestSha256: 'other' }, respond),
        { kind: 'conflict' },
      );
      assert.deepEqual(await complete(input, nonce('n4', 3001), idem, respond), {
        kind: 'nonce_replayed',
      });
      // A replayed nonce takes no key either (PostgreSQL accepts the nonce and takes the key in
      // one statement): the key stays free for the agent's real retry.
      const fresh = { ...idem, scope: { ...idem.scope, key: 'k-replayed' } };
      assert.deepEqual(await complete(input, nonce('n4', 3002), fresh, respond), {
        kind: 'nonce_replayed',
      });
      assert.deepEqual(await replica.beginIdempotent(fresh.scope, 'sha-1', 3003), { kind: 'new' });
      const claims = await store.listJobClaims(facts.job_id);
      assert.deepEqual(
        claims.map((c) => c.outcome),
        ['completed'],
      );
      // A failed completion leaves its key unused and still spends its nonce.
      await assert.rejects(
        complete(
          input,
          nonce('n5', 4000),
          { ...idem, scope: { ...idem.scope, key: 'k2' } },
          respond,
        ),
        { code: 'STALE_LOCK_TOKEN' },
      );
      assert.equal(await replica.rememberNonce('agent-1', 'n5', 4001, 60_000), false);
      assert.deepEqual(await replica.beginIdempotent({ ...idem.scope, key: 'k2' }, 'sha-1', 4002), {
        kind: 'new',
      });
    },
  );
}
