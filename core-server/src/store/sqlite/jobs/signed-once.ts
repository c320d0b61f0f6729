// One commit per signed job write: the request's nonce (and, for a submit, its Idempotency-Key
// record and stored response) are written in the same transaction as the claim or completion.
// A commit was the largest single cost of a claim+submit (docs/core-performance.md); recording
// the nonce and the key in their own commits made a cycle six commits instead of two, and
// concurrent requests share one commit (./group-commit.ts).
//
// Same rules as the separate calls: a nonce seen inside the window refuses the request before
// anything else is looked at; a verified request spends its nonce even when the operation then
// fails (its transaction rolls back, so the nonce is written again on its own); a failed
// completion leaves the Idempotency-Key unused, as abandonIdempotent did.
import type { Database } from 'better-sqlite3';
import type { IdempotencyBegin, IdempotencyScope } from '../../core-store.js';
import type {
  ClaimJobInput,
  ClaimOnceResult,
  CompleteJobInput,
  CompleteJobResult,
  CompleteOnceResult,
  IdempotentWrite,
  NonceUse,
} from '../../store-types.js';
import { AuthChangedError } from '../../store-types.js';
import { currentAuthVersion } from '../auth-lookup-cache.js';
import { claimInTransaction } from './claim-job.js';
import { completeInTransaction } from './complete-job.js';
import { inGroupCommit } from './group-commit.js';
import { transactionPerConnection } from './transaction-per-connection.js';

/** One atomic statement: new, or last seen before the window → accepted (and recorded). */
export function acceptNonce(db: Database, n: NonceUse): boolean {
  const accepted = db
    .prepare(
      `INSERT INTO nonces (agent_id, nonce, seen_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (agent_id, nonce) DO UPDATE SET seen_at_ms = excluded.seen_at_ms
         WHERE nonces.seen_at_ms <= ?
       RETURNING 1 AS accepted`,
    )
    .get(n.agentId, n.nonce, n.nowMs, n.nowMs - n.windowMs);
  return accepted !== undefined;
}

/** What an Idempotency-Key already used answers, or undefined when the key is new. */
export function lookupIdempotent(
  db: Database,
  s: IdempotencyScope,
  requestSha256: string,
): Exclude<IdempotencyBegin, { kind: 'new' }> | undefined {
  const row = db
    .prepare(
      'SELECT request_sha256, status_code, response_body FROM idempotency_keys WHERE actor = ? AND endpoint = ? AND idem_key = ?',
    )
    .get(s.actor, s.endpoint, s.key) as
    | { request_sha256: string; status_code: number | null; response_body: string | null }
    | undefined;
  if (!row) return undefined;
  if (row.request_sha256 !== requestSha256) return { kind: 'conflict' };
  if (row.status_code === null) return { kind: 'in_progress' };
  return {
    kind: 'replay',
    statusCode: row.status_code,
    body: row.response_body === null ? undefined : JSON.parse(row.response_body),
  };
}

/**
 * Runs `op` in one transaction (shared with the other signed writes of this turn of the event
 * loop: ./group-commit.ts) after accepting the nonce. When `op` throws, the rollback took the
 * nonce with it: it is recorded on its own (still inside the batch) before the error goes on.
 * `op` runs inside this savepoint and nothing else, so the claim and the completion run their
 * statements without one of their own.
 *
 * First of all, the signer's credentials as of this transaction: when the auth version moved
 * since its lookups were answered (a revocation, a re-key), nothing is written, not even the
 * nonce, and the route authenticates again (AuthChangedError). The transaction holds the write
 * lock, so no revocation can commit between this check and the write's own commit.
 */
function withNonce<T>(
  db: Database,
  nonce: NonceUse,
  op: () => T,
): Promise<T | { kind: 'nonce_replayed' }> {
  return inGroupCommit(db, () => {
    if (nonce.authVersion !== undefined && currentAuthVersion(db) !== nonce.authVersion) {
      throw new AuthChangedError();
    }
    try {
      return nonceThenOp(db)(nonce, op) as T | { kind: 'nonce_replayed' };
    } catch (err) {
      acceptNonce(db, nonce);
      throw err;
    }
  });
}

const nonceThenOp = transactionPerConnection((db, nonce: NonceUse, op: () => unknown): unknown =>
  acceptNonce(db, nonce) ? op() : { kind: 'nonce_replayed' as const },
);

export function claimJobOnce(
  db: Database,
  input: ClaimJobInput,
  nonce: NonceUse,
): Promise<ClaimOnceResult> {
  return withNonce(db, nonce, () => ({
    kind: 'claimed' as const,
    ...claimInTransaction(db, input),
  }));
}

export function completeJobOnce(
  db: Database,
  input: CompleteJobInput,
  nonce: NonceUse,
  idem: IdempotentWrite,
  respond: (result: CompleteJobResult) => unknown,
): Promise<CompleteOnceResult> {
  return withNonce(db, nonce, (): CompleteOnceResult => {
    const used = lookupIdempotent(db, idem.scope, idem.requestSha256);
    if (used) return used;
    const result = completeInTransaction(db, input);
    const body = respond(result);
    db.prepare(
      `INSERT INTO idempotency_keys
         (actor, endpoint, idem_key, request_sha256, status_code, response_body, created_at_ms)
       VALUES (?, ?, ?, ?, 200, ?, ?)`,
    ).run(
      idem.scope.actor,
      idem.scope.endpoint,
      idem.scope.key,
      idem.requestSha256,
      JSON.stringify(body ?? null),
      idem.nowMs,
    );
    return { kind: 'completed', result, body };
  });
}
