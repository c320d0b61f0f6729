// Claim and facts submit record the request's nonce (and the submit's Idempotency-Key) in the
// operation's own transaction (docs/core-performance.md). The answers must be exactly those of
// the separate calls, which a store without claimJobOnce/completeJobOnce still gets: every
// scenario runs against both paths on real HTTP and real SQLite, and the results are compared.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { API_PREFIX, CAPABILITIES } from '@retaia/protocol';
import type { SqliteCoreStore } from '../src/store/sqlite/sqlite-core-store.js';
import { http, startTestCore, TestAgent, type TestCore } from './support/signed-test-client.js';

type Mode = 'one commit' | 'separate calls';

/** Sends one signed request and returns a function that sends the very same bytes again. */
async function signedOnce(
  core: TestCore,
  agent: TestAgent,
  p: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const all = {
    authorization: `Bearer ${agent.token}`,
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
    ...(await agent.signer.headersFor('POST', `${API_PREFIX}${p}`, raw)),
  };
  const send = () =>
    http(`${core.server.apiUrl}${p}`, {
      method: 'POST',
      headers: all,
      body: body === undefined ? undefined : raw,
    });
  return { first: await send(), again: send };
}

const facts = (lock: { lock_token: string; fencing_token: number }, width = 1) => ({
  lock_token: lock.lock_token,
  fencing_token: lock.fencing_token,
  job_type: 'extract_facts',
  result: { facts_patch: { media_format: 'jpeg', width, height: 1 } },
});

async function scenario(mode: Mode) {
  const core = await startTestCore();
  try {
    const store = core.server.context.store as SqliteCoreStore;
    if (mode === 'separate calls') {
      // A backend without the one-commit verbs (the routes must fall back).
      const verbs = store as unknown as Record<string, unknown>;
      verbs.claimJobOnce = undefined;
      verbs.completeJobOnce = undefined;
    } else {
      assert.equal(typeof store.claimJobOnce, 'function');
      assert.equal(typeof store.completeJobOnce, 'function');
    }
    await mkdir(path.join(core.root, 'INBOX'), { recursive: true });
    for (const n of ['a', 'b', 'c'])
      await writeFile(path.join(core.root, 'INBOX', `${n}.jpg`), 'x');
    await core.server.scanNow();
    await core.server.scanNow();
    const [one, two] = [
      await TestAgent.enrol(core.server, { capabilities: [CAPABILITIES.facts] }),
      await TestAgent.enrol(core.server, { capabilities: [CAPABILITIES.facts] }),
    ];
    const jobs = ((await one.get('/jobs?limit=50')).body as { job_id: string }[]).map(
      (j) => j.job_id,
    );
    assert.equal(jobs.length, 3);
    const [j1, j2, j3] = jobs as [string, string, string];
    const seen: Record<string, unknown> = {};
    const note = (
      what: string,
      r: { status: number; body: { code?: string } | undefined; headers: Headers },
    ) => {
      seen[what] = {
        status: r.status,
        code: r.body?.code,
        replayed: r.headers.get('idempotent-replayed'),
      };
    };

    // A claim, then the same bytes again: refused as a replay, the job claimed once.
    const claim = await signedOnce(core, one, `/jobs/${j1}/claim`, undefined);
    note('claim', claim.first);
    note('claim replayed', await claim.again());
    const lock = {
      lock_token: claim.first.body.lock_token as string,
      fencing_token: claim.first.body.fencing_token as number,
    };
    assert.equal((await store.listJobClaims(j1)).length, 1);

    // A claim that fails (already claimed): its nonce is spent all the same.
    const lost = await signedOnce(core, two, `/jobs/${j1}/claim`, undefined);
    note('lost claim', lost.first);
    note('lost claim replayed', await lost.again());

    // A submit with a wrong lock token fails; its nonce is spent, its key stays unused.
    const key = randomUUID();
    const bad = await signedOnce(
      core,
      one,
      `/jobs/${j1}/submit`,
      facts({ ...lock, lock_token: 'not-the-token' }),
      { 'idempotency-key': key },
    );
    note('submit with a wrong lock', bad.first);
    note('submit with a wrong lock replayed', await bad.again());

    // The same key with the right body is evaluated (not a conflict with the failed one).
    const ok = await signedOnce(core, one, `/jobs/${j1}/submit`, facts(lock), {
      'idempotency-key': key,
    });
    note('submit', ok.first);
    note('submit replayed', await ok.again());
    // Same key, same body, fresh signature: the stored answer, marked as replayed.
    const retry = await one.submit(j1, facts(lock), key);
    note('submit retried with its key', retry);
    assert.deepEqual(retry.body, ok.first.body);
    // Same key, another body: 409 IDEMPOTENCY_CONFLICT, nothing completed twice.
    note('same key, other body', await one.submit(j1, facts(lock, 2), key));
    assert.equal(
      (await store.listJobClaims(j1)).filter((c) => c.outcome === 'completed').length,
      1,
    );

    // A submit for a job that does not exist: 404; a body that fails validation: 422.
    note('submit of an unknown job', await one.submit(randomUUID(), facts(lock)));
    const c2 = await one.claim(j2);
    note(
      'submit without the minimal facts',
      await one.submit(j2, { ...facts(c2.body), result: { facts_patch: { width: 1 } } }),
    );
    note('submit without a lock token', await one.submit(j2, { job_type: 'extract_facts' }));
    // Every job submitted: the answer carries the asset's new state.
    for (const j of [j2, j3]) {
      const c = j === j2 ? c2 : await one.claim(j);
      const s = await one.submit(j, facts(c.body));
      note(`submit ${j === j2 ? 'second' : 'third'}`, s);
      assert.equal(s.body.status, 'completed', JSON.stringify(s.body));
      assert.equal(s.body.asset_state, (await store.getAsset(s.body.asset_uuid))!.state);
    }
    const events = (await store.listSecurityEvents()).filter(
      (e) => e.detail.reason === 'nonce replayed',
    );
    seen['replays logged'] = events.length;
    return { seen, okBody: ok.first.body };
  } finally {
    await core.dispose();
  }
}

test('claim and facts submit answer the same with one commit as with separate calls', async () => {
  const once = await scenario('one commit');
  const separate = await scenario('separate calls');
  assert.deepEqual(once.seen, separate.seen);
  const s = once.seen as Record<string, { status: number; code?: string; replayed: unknown }>;
  assert.equal(s['claim']!.status, 200);
  assert.equal(s['claim replayed']!.status, 401);
  assert.equal(s['lost claim']!.status, 409);
  assert.equal(s['lost claim replayed']!.status, 401, 'a failed claim spends its nonce');
  assert.equal(s['submit with a wrong lock']!.code, 'LOCK_INVALID');
  assert.equal(s['submit with a wrong lock replayed']!.status, 401);
  assert.equal(s['submit']!.status, 200, 'a failed submit leaves its key unused');
  assert.equal(s['submit replayed']!.status, 401);
  assert.deepEqual(s['submit retried with its key'], {
    status: 200,
    code: undefined,
    replayed: 'true',
  });
  assert.equal(s['same key, other body']!.code, 'IDEMPOTENCY_CONFLICT');
  assert.equal(s['submit of an unknown job']!.status, 404);
  assert.equal(s['submit without the minimal facts']!.status, 422);
  assert.equal(s['submit without a lock token']!.status, 423);
  assert.equal(once.seen['replays logged'], 4);
  assert.equal(once.okBody.status, 'completed');
});
