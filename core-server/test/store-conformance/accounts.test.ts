// Accounts, request-signing state and the records strangers can grow, the same on SQLite and
// PostgreSQL: users (case-insensitive e-mail), tokens, device flows, nonces (replay window,
// seen by every store instance on the database), idempotency keys, pruning.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { stopBackends, storeBackends } from './backends.js';
import { pendingDeviceFlow } from './fixtures.js';

const backends = await storeBackends();
after(() => stopBackends(backends));

for (const b of backends) {
  test(
    `[${b.name}] users: e-mail unique whatever its case, tokens expire and revoke`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const u = await store.addUser('Ops@Example.org', 'hash');
      await assert.rejects(store.addUser('ops@example.ORG', 'x'), { code: 'VALIDATION_FAILED' });
      assert.equal((await store.findUserByEmail('OPS@example.org'))?.user_id, u.user_id);
      await store.saveUserToken('t1', u.user_id, 2000);
      assert.equal((await store.findUserByToken('t1', 1999))?.email, 'Ops@Example.org');
      assert.equal(await store.findUserByToken('t1', 2000), undefined, 'expired at its time');
      assert.equal(await store.revokeUserToken('t1'), true);
      assert.equal(await store.revokeUserToken('t1'), false);
    },
  );

  test(
    `[${b.name}] device flow: approve once, consume once; one token per client`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      const flow = pendingDeviceFlow('dc', 'ABCD-EFGH');
      await store.createDeviceFlow(flow);
      await store.recordDevicePoll('dc', 1500, true);
      const polled = (await store.findDeviceFlow('dc'))!;
      assert.deepEqual([polled.last_poll_at_ms, polled.slow_downs], [1500, 1]);
      await assert.rejects(store.approveDeviceFlow('ABCD-EFGH', 'op', 10_001), /expired/);
      const approved = await store.approveDeviceFlow('abcd-efgh', 'op', 2000);
      assert.equal(approved.status, 'APPROVED');
      await assert.rejects(
        store.approveDeviceFlow('ABCD-EFGH', 'op', 2001),
        /approved, not pending/,
      );
      const client = await store.consumeDeviceFlow('dc', 'secret-hash');
      assert.equal(client.secret_hash, 'secret-hash');
      assert.equal(client.label, 'nas agent');
      await assert.rejects(store.consumeDeviceFlow('dc', 'again'), { code: 'INVALID_DEVICE_CODE' });
      await store.replaceClientToken(client.client_id, 'tok-1', 5000);
      await store.replaceClientToken(client.client_id, 'tok-2', 5000);
      assert.equal(await store.findClientByToken('tok-1', 1000), undefined, 'replaced');
      assert.equal((await store.findClientByToken('tok-2', 1000))?.client_id, client.client_id);
      await store.setClientSecret(client.client_id, 'new-secret');
      assert.equal(
        await store.findClientByToken('tok-2', 1000),
        undefined,
        'new secret revokes tokens',
      );
      assert.equal((await store.findDeviceFlowByUserCode('ABCD-EFGH'))?.requester_ip, '192.0.2.1');
    },
  );

  test(
    `[${b.name}] a nonce is accepted once per window, by whichever store instance sees it`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const replica = await another();
      assert.equal(await store.rememberNonce('agent-1', 'n1', 1000, 500), true);
      assert.equal(
        await replica.rememberNonce('agent-1', 'n1', 1200, 500),
        false,
        'replay on another instance',
      );
      assert.equal(await replica.rememberNonce('agent-2', 'n1', 1200, 500), true, 'per agent');
      assert.equal(
        await store.rememberNonce('agent-1', 'n1', 1500, 500),
        true,
        'outside the window',
      );
      const racing = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 ? store : replica).rememberNonce('agent-3', 'n-race', 2000, 500),
        ),
      );
      assert.equal(racing.filter(Boolean).length, 1, 'concurrent replays: exactly one accepted');
      await store.pruneExpired(3000, 500, 1000);
      assert.equal(
        await replica.rememberNonce('agent-1', 'n1', 3000, 500_000),
        true,
        'pruned nonce is new again',
      );
    },
  );

  test(
    `[${b.name}] idempotency keys: new, in progress, replay, conflict, abandon`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const replica = await another();
      const scope = { actor: 'agent-1', endpoint: 'POST /jobs/x/submit', key: 'k1' };
      assert.deepEqual(await store.beginIdempotent(scope, 'sha-a', 1000), { kind: 'new' });
      assert.deepEqual(await replica.beginIdempotent(scope, 'sha-a', 1001), {
        kind: 'in_progress',
      });
      assert.deepEqual(await replica.beginIdempotent(scope, 'sha-b', 1001), { kind: 'conflict' });
      await store.finishIdempotent(scope, 200, { ok: true });
      assert.deepEqual(await replica.beginIdempotent(scope, 'sha-a', 1002), {
        kind: 'replay',
        statusCode: 200,
        body: { ok: true },
      });
      const other = { ...scope, key: 'k2' };
      const racing = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? store : replica).beginIdempotent(other, 'sha', 2000),
        ),
      );
      assert.equal(
        racing.filter((r) => r.kind === 'new').length,
        1,
        'one request runs, the others wait',
      );
      await replica.abandonIdempotent(other);
      assert.deepEqual(await store.beginIdempotent(other, 'sha', 2001), { kind: 'new' });
      await store.pruneExpired(10_000, 1000, 1000);
      assert.deepEqual(
        await store.beginIdempotent(scope, 'sha-z', 10_001),
        { kind: 'new' },
        'pruned',
      );
    },
  );

  test(
    `[${b.name}] security records are bounded by age and count`,
    { skip: b.skipReason },
    async (t) => {
      const { store } = await b.fresh(t);
      for (let i = 0; i < 5; i++)
        await store.logSecurityEvent('signature_invalid', { agent_id: `a${i}`, i });
      assert.deepEqual(
        (await store.listSecurityEvents()).map((e) => e.detail.i),
        [0, 1, 2, 3, 4],
      );
      for (let i = 0; i < 4; i++) {
        await store.createDeviceFlow({
          device_code_hash: `d${i}`,
          user_code: `CODE-000${i}`,
          client_label: null,
          status: 'PENDING',
          interval_s: 5,
          created_at_ms: 1000 + i,
          expires_at_ms: i === 0 ? 1500 : 100_000,
          last_poll_at_ms: null,
          slow_downs: 0,
          client_id: null,
          approved_at: null,
          approved_by_user_id: null,
        });
      }
      assert.deepEqual(await store.countSecurityRecords(), { security_events: 5, device_flows: 4 });
      const pruned = await store.pruneSecurityRecords({
        eventsBefore: '1970-01-01T00:00:00.000Z',
        maxEvents: 2,
        flowsExpiredBeforeMs: 2000,
        maxFlows: 2,
      });
      assert.deepEqual(pruned, { security_events: 3, device_flows: 2 });
      assert.deepEqual(
        (await store.listSecurityEvents()).map((e) => e.detail.i),
        [3, 4],
        'the newest stay',
      );
      assert.equal(await store.findDeviceFlow('d0'), undefined, 'expired flow gone');
      assert.equal(await store.findDeviceFlow('d1'), undefined, 'oldest over the count gone');
      assert.ok(await store.findDeviceFlow('d3'));
    },
  );
}
