// Both stores answer bearer and agent lookups from memory (sqlite/auth-lookup-cache.ts,
// postgres/pg-auth-lookup-cache.ts). These cases make, through ANOTHER store on the same database
// (a second replica, the operator CLI), the changes a cache could miss, and check that the next
// request of the first store sees them. On PostgreSQL the second store is a replica in all but
// name: same database, its own pool and its own cache.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PgAuthLookupCache } from '../../src/store/postgres/pg-auth-lookup-cache.js';
import type { PostgresCoreStore } from '../../src/store/postgres/postgres-core-store.js';
import type { AgentRecord } from '../../src/store/records.js';
import { stopBackends, storeBackends } from './backends.js';
import { agentRecord, clientWithToken } from './fixtures.js';

const backends = await storeBackends();
after(() => stopBackends(backends));
const FAR = 9e15;

for (const b of backends) {
  test(
    `[${b.name}] a token revoked by another replica is refused from the next request`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const client = await clientWithToken(store, 'h1', FAR);
      const first = {};
      assert.equal((await store.findClientByToken('h1', 0, first))?.client_id, client.client_id);
      assert.equal((await store.findClientByToken('h1', 0, {}))?.client_id, client.client_id);
      await (await another()).revokeClientTokens(client.client_id);
      assert.equal(
        (await store.findClientByToken('h1', 0, first))?.client_id,
        client.client_id,
        'a request is served as of its first lookup',
      );
      assert.equal(await store.findClientByToken('h1', 0, {}), undefined, 'the next request');
      assert.equal(await store.findClientByToken('h1', 0), undefined, 'a lookup for no request');
    },
  );

  test(
    `[${b.name}] an agent re-keyed by another replica signs with its new key from the next request`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const client = await clientWithToken(store, 'h1', FAR);
      await store.saveAgent(agentRecord('a1', client.client_id, { public_key: 'old' }));
      assert.equal((await store.getAgent('a1', {}))?.public_key, 'old');
      assert.equal((await store.latestAgentOfClient(client.client_id, {}))?.public_key, 'old');
      await (await another()).saveAgent(agentRecord('a1', client.client_id, { public_key: 'new' }));
      assert.equal((await store.getAgent('a1', {}))?.public_key, 'new');
      assert.equal((await store.latestAgentOfClient(client.client_id, {}))?.public_key, 'new');
    },
  );

  test(
    `[${b.name}] last-seen touches keep the cache; a token expires with no write`,
    { skip: b.skipReason },
    async (t) => {
      const { store, another } = await b.fresh(t);
      const client = await clientWithToken(store, 'h1', 5000);
      await store.saveAgent(agentRecord('a1', client.client_id));
      const cached = await store.getAgent('a1', {});
      assert.ok(Object.isFrozen(cached), 'shared records are frozen');
      await (await another()).touchAgent('a1', Date.now());
      assert.equal(await store.getAgent('a1', {}), cached, 'served from memory');
      assert.equal((await store.findClientByToken('h1', 4999, {}))?.client_id, client.client_id);
      assert.equal(await store.findClientByToken('h1', 5000, {}), undefined, 'expired');
      assert.equal(await store.findClientByToken('unknown', 0, {}), undefined);
    },
  );
}

const postgres = backends.find((b) => b.name === 'postgres')!;
test(
  '[postgres] a load that began before a revocation was seen is not kept',
  { skip: postgres.skipReason },
  async (t) => {
    const { store, another } = await postgres.fresh(t);
    const client = await clientWithToken(store, 'h1', FAR);
    await store.saveAgent(agentRecord('a1', client.client_id, { public_key: 'old' }));
    const cache = new PgAuthLookupCache((store as PostgresCoreStore).pool);
    let release!: () => void;
    const stale = agentRecord('a1', client.client_id, { public_key: 'old' });
    // Request 1 checks the version, then its load reads the row as it was before the re-key and
    // is slow to answer; meanwhile the re-key commits and request 2 sees the new version.
    const slow = cache.lookup('agent', 'a1', {}, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return stale;
    });
    while (!release) await new Promise((r) => setImmediate(r));
    await (await another()).saveAgent(agentRecord('a1', client.client_id, { public_key: 'new' }));
    const fresh = agentRecord('a1', client.client_id, { public_key: 'new' });
    assert.equal((await cache.lookup('agent', 'a1', {}, async () => fresh))?.public_key, 'new');
    release();
    assert.equal((await slow)?.public_key, 'old', 'request 1 is served as of its own check');
    let loads = 0;
    const next = await cache.lookup('agent', 'a1', {}, async (): Promise<AgentRecord> => {
      loads++;
      return fresh;
    });
    assert.equal(next?.public_key, 'new', 'the stale answer was not kept');
    assert.equal(loads, 0, 'the fresh one was');
  },
);
