// The /ops tests run on both store backends: the embedded SQLite, and PostgreSQL on a throwaway
// server started once per test file (skipped, with the reason printed, when it cannot start).
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { loadContractValidator } from '@retaia/protocol/contract-validator';
import { startPostgresCluster } from '../../../scripts/test-support/postgres-cluster.js';
import { HumanSession } from './human-session.js';
import { startTestCore, type TestCore } from './signed-test-client.js';

export const contract = loadContractValidator();

export interface StoreBackend {
  name: 'SQLite' | 'PostgreSQL';
  /** Why the backend's tests are skipped; undefined when they run. */
  skip: string | undefined;
  /** Options that put a fresh test Core on this backend. */
  options(): Promise<Parameters<typeof startTestCore>[0]>;
}

export async function storeBackends(): Promise<StoreBackend[]> {
  const cluster = await startPostgresCluster();
  after(() => cluster.stop());
  return [
    { name: 'SQLite', skip: undefined, options: async () => ({}) },
    {
      name: 'PostgreSQL',
      skip: cluster.skipReason,
      options: async () => ({ databaseUrl: await cluster.createDatabase() }),
    },
  ];
}

/** A Core on the backend with a logged-in operator; disposed after `fn`. */
export async function withOpsCore(
  backend: StoreBackend | undefined,
  fn: (core: TestCore, op: HumanSession) => Promise<void>,
  opts: Parameters<typeof startTestCore>[0] = {},
) {
  const core = await startTestCore({
    buildReviewUi: false,
    ...(backend ? await backend.options() : {}),
    ...opts,
  });
  try {
    await fn(core, await HumanSession.open(core));
  } finally {
    await core.dispose();
  }
}

/** A successful call, its body checked against the contract's schema for that status. */
export async function okCall(
  op: HumanSession,
  method: string,
  template: string,
  p = template,
  body?: unknown,
) {
  const res = await op.request(method, p, body === undefined ? {} : { body });
  const status = method === 'POST' && template === '/ops/ingest/requeue' ? 202 : 200;
  assert.equal(res.status, status, `${method} ${p}: ${JSON.stringify(res.body)}`);
  assert.deepEqual(contract.responseErrors(method, template, status, res.body), [], p);
  return res.body;
}
