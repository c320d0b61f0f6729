// One commit per signed job write on PostgreSQL: the request's nonce (and, for a submit, its
// Idempotency-Key record with the stored response) go in the same transaction as the claim or
// completion — the optional CoreStore verbs claimJobOnce/completeJobOnce, same rules as
// ../sqlite/jobs/signed-once.ts: a replayed nonce refuses the request first; a failed operation
// still spends its nonce (written again on its own after the rollback) and leaves the key unused.
//
// Across replicas: the key is inserted (unanswered) before the completion runs, so a second
// replica handling the same key waits on that row, then sees the stored answer (replay) instead
// of completing twice; the nonce's INSERT … ON CONFLICT likewise lets exactly one request in.
import type pg from 'pg';
import type { IdempotencyBegin } from '../core-store.js';
import type {
  ClaimJobInput,
  ClaimOnceResult,
  CompleteJobInput,
  CompleteJobResult,
  CompleteOnceResult,
  IdempotentWrite,
  NonceUse,
} from '../store-types.js';
import { AuthChangedError } from '../store-types.js';
import { inTransaction, one, run, type Queryable } from './pg-db.js';
import { completeJobIn } from './pg-complete-job.js';
import { claimJobIn } from './pg-jobs.js';

/** One atomic statement: new, or last seen before the window → accepted (and recorded). */
export async function acceptNonce(q: Queryable, n: NonceUse): Promise<boolean> {
  const accepted = await one(
    q,
    `INSERT INTO nonces (agent_id, nonce, seen_at_ms) VALUES ($1, $2, $3)
     ON CONFLICT (agent_id, nonce) DO UPDATE SET seen_at_ms = excluded.seen_at_ms
       WHERE nonces.seen_at_ms <= $4
     RETURNING 1 AS accepted`,
    [n.agentId, n.nonce, n.nowMs, n.nowMs - n.windowMs],
  );
  return accepted !== undefined;
}

/**
 * The signer's credentials as of this statement (NonceUse.authVersion, when its lookups were
 * deferred): `current` is false when the auth version moved since they were answered. Every
 * write of the statement is made from it, so a false one writes nothing.
 */
const AUTH_CURRENT_CTE = `auth AS (
       SELECT ($5::bigint IS NULL OR version = $5::bigint) AS current
         FROM auth_version WHERE id = 1)`;

/**
 * The claim's first statement: acceptNonce, after checking the signer's credentials are still
 * the ones its lookups were answered as of (AuthChangedError, nothing written, when not).
 */
async function acceptNonceIfAuthCurrent(q: Queryable, n: NonceUse): Promise<boolean> {
  const row = await one<{ auth_current: boolean; nonce_accepted: boolean }>(
    q,
    `WITH ${AUTH_CURRENT_CTE},
     accepted AS (
       INSERT INTO nonces (agent_id, nonce, seen_at_ms) SELECT $1, $2, $3 FROM auth WHERE current
       ON CONFLICT (agent_id, nonce) DO UPDATE SET seen_at_ms = excluded.seen_at_ms
         WHERE nonces.seen_at_ms <= $4
       RETURNING 1)
     SELECT (SELECT current FROM auth) AS auth_current,
            EXISTS (SELECT 1 FROM accepted) AS nonce_accepted`,
    [n.agentId, n.nonce, n.nowMs, n.nowMs - n.windowMs, n.authVersion ?? null],
  );
  if (!row!.auth_current) throw new AuthChangedError();
  return row!.nonce_accepted;
}

/** Takes the key for this request, or says what its earlier use answers. */
export async function claimIdempotencyKey(
  q: Queryable,
  idem: IdempotentWrite,
): Promise<IdempotencyBegin> {
  const { scope: s, requestSha256 } = idem;
  for (;;) {
    const inserted = await run(
      q,
      `INSERT INTO idempotency_keys (actor, endpoint, idem_key, request_sha256, created_at_ms)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [s.actor, s.endpoint, s.key, requestSha256, idem.nowMs],
    );
    if (inserted === 1) return { kind: 'new' };
    const row = await one<{
      request_sha256: string;
      status_code: number | null;
      response_body: string | null;
    }>(
      q,
      'SELECT request_sha256, status_code, response_body FROM idempotency_keys WHERE actor = $1 AND endpoint = $2 AND idem_key = $3',
      [s.actor, s.endpoint, s.key],
    );
    if (!row) continue; // abandoned between the two statements: try again
    if (row.request_sha256 !== requestSha256) return { kind: 'conflict' };
    if (row.status_code === null) return { kind: 'in_progress' };
    return {
      kind: 'replay',
      statusCode: row.status_code,
      body: row.response_body === null ? undefined : JSON.parse(row.response_body),
    };
  }
}

/**
 * The signer's credentials checked (as acceptNonceIfAuthCurrent does), the nonce accepted and,
 * only when it is, the Idempotency-Key taken (inserted unanswered): one round trip where there
 * were three. `keyTaken` false means the key exists already (or a concurrent request holds it):
 * claimIdempotencyKey then says what its earlier use answers.
 */
async function acceptNonceAndTakeKey(
  q: Queryable,
  n: NonceUse,
  idem: IdempotentWrite,
): Promise<{ nonceAccepted: boolean; keyTaken: boolean }> {
  const { scope: s } = idem;
  const row = await one<{ auth_current: boolean; nonce_accepted: boolean; key_taken: boolean }>(
    q,
    `WITH ${AUTH_CURRENT_CTE},
     accepted AS (
       INSERT INTO nonces (agent_id, nonce, seen_at_ms) SELECT $1, $2, $3 FROM auth WHERE current
       ON CONFLICT (agent_id, nonce) DO UPDATE SET seen_at_ms = excluded.seen_at_ms
         WHERE nonces.seen_at_ms <= $4
       RETURNING 1),
     taken AS (
       INSERT INTO idempotency_keys (actor, endpoint, idem_key, request_sha256, created_at_ms)
         SELECT $6, $7, $8, $9, $10 FROM accepted
       ON CONFLICT DO NOTHING
       RETURNING 1)
     SELECT (SELECT current FROM auth) AS auth_current,
            EXISTS (SELECT 1 FROM accepted) AS nonce_accepted,
            EXISTS (SELECT 1 FROM taken) AS key_taken`,
    [
      n.agentId,
      n.nonce,
      n.nowMs,
      n.nowMs - n.windowMs,
      n.authVersion ?? null,
      s.actor,
      s.endpoint,
      s.key,
      idem.requestSha256,
      idem.nowMs,
    ],
  );
  if (!row!.auth_current) throw new AuthChangedError();
  return { nonceAccepted: row!.nonce_accepted, keyTaken: row!.key_taken };
}

/**
 * `op` in a transaction whose first statement checks the signer's credentials and accepts the
 * nonce (`accept`, which may do more in the same round trip). When `op` throws, the rollback took
 * the nonce with it: it is recorded on its own before the error goes on; when the credentials
 * changed (AuthChangedError) nothing is recorded, the request runs again once re-authenticated.
 */
async function withNonce<T>(
  pool: pg.Pool,
  nonce: NonceUse,
  op: (c: pg.PoolClient) => Promise<T>,
  accept: (c: pg.PoolClient) => Promise<boolean> = (c) => acceptNonceIfAuthCurrent(c, nonce),
): Promise<T | { kind: 'nonce_replayed' }> {
  try {
    return await inTransaction(pool, async (c) =>
      (await accept(c)) ? op(c) : { kind: 'nonce_replayed' as const },
    );
  } catch (err) {
    if (!(err instanceof AuthChangedError)) await acceptNonce(pool, nonce);
    throw err;
  }
}

export function claimJobOnce(
  pool: pg.Pool,
  input: ClaimJobInput,
  nonce: NonceUse,
): Promise<ClaimOnceResult> {
  return withNonce(pool, nonce, async (c) => ({
    kind: 'claimed' as const,
    ...(await claimJobIn(c, input)),
  }));
}

export function completeJobOnce(
  pool: pg.Pool,
  input: CompleteJobInput,
  nonce: NonceUse,
  idem: IdempotentWrite,
  respond: (result: CompleteJobResult) => unknown,
): Promise<CompleteOnceResult> {
  let keyTaken = false;
  const accept = async (c: pg.PoolClient) => {
    const first = await acceptNonceAndTakeKey(c, nonce, idem);
    keyTaken = first.keyTaken;
    return first.nonceAccepted;
  };
  const completeOnce = async (c: pg.PoolClient): Promise<CompleteOnceResult> => {
    const key = keyTaken ? { kind: 'new' as const } : await claimIdempotencyKey(c, idem);
    if (key.kind !== 'new') return key;
    const result = await completeJobIn(c, input);
    const body = respond(result);
    await run(
      c,
      `UPDATE idempotency_keys SET status_code = 200, response_body = $1
       WHERE actor = $2 AND endpoint = $3 AND idem_key = $4`,
      [JSON.stringify(body ?? null), idem.scope.actor, idem.scope.endpoint, idem.scope.key],
    );
    return { kind: 'completed', result, body };
  };
  return withNonce(pool, nonce, completeOnce, accept);
}
