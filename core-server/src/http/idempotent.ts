// Idempotency-Key handling for agent writes: same key + same body ⇒ the stored response, same
// key + another body ⇒ 409 IDEMPOTENCY_CONFLICT. Only successful responses are stored (24 h), so
// a retry after an error is evaluated again.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '@retaia/protocol';
import { CoreError, validationFailed } from '../errors/core-error.js';
import type { CoreContext } from '../server/core-context.js';
import type { IdempotencyBegin, IdempotencyScope } from '../store/core-store.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

/** The key's scope: per actor and endpoint (method and path). 422 without a usable key. */
export function idempotencyScope(request: FastifyRequest, actor: string): IdempotencyScope {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw validationFailed('Idempotency-Key header is required (1–200 characters)');
  }
  return { actor, endpoint: `${request.method} ${(request.raw.url ?? '').split('?')[0]}`, key };
}

/** What the stored record of the request's key is hashed as (the body's sha256, hashed again). */
export const idempotencyRequestHash = (bodySha256: string) => sha256Hex(bodySha256);

/** A key already used: 409 for another body or one still running, else the stored response. */
export function answerUsedKey(
  used: Exclude<IdempotencyBegin, { kind: 'new' }>,
  reply: FastifyReply,
): unknown {
  if (used.kind === 'conflict') {
    throw new CoreError(
      'IDEMPOTENCY_CONFLICT',
      409,
      'this Idempotency-Key was already used with a different request body',
    );
  }
  if (used.kind === 'in_progress') {
    throw new CoreError(
      'IDEMPOTENCY_CONFLICT',
      409,
      'a request with this Idempotency-Key is still being processed; retry shortly',
      true,
    );
  }
  void reply.header('idempotent-replayed', 'true').status(used.statusCode);
  return used.body;
}

export async function idempotent(
  ctx: CoreContext,
  request: FastifyRequest,
  reply: FastifyReply,
  actor: string,
  bodySha256: string,
  handler: () => Promise<unknown>,
): Promise<unknown> {
  const scope = idempotencyScope(request, actor);
  const begin = await ctx.store.beginIdempotent(
    scope,
    idempotencyRequestHash(bodySha256),
    ctx.clock(),
  );
  if (begin.kind !== 'new') return answerUsedKey(begin, reply);
  try {
    const body = await handler();
    await ctx.store.finishIdempotent(scope, reply.statusCode || 200, body);
    return body;
  } catch (err) {
    await ctx.store.abandonIdempotent(scope);
    throw err;
  }
}
