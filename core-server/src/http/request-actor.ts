// Who is calling: a technical client (agent bearer) or a human user (user bearer). Endpoints
// declare which actor they accept; the wrong kind is 403 FORBIDDEN_ACTOR, no/unknown bearer 401.
import type { FastifyRequest } from 'fastify';
import { hashToken } from '../auth/secret-hash.js';
import { CoreError, unauthorized } from '../errors/core-error.js';
import type { ClientRecord, UserRecord } from '../store/records.js';
import type { CoreContext } from '../server/core-context.js';

export type Actor = { kind: 'client'; client: ClientRecord } | { kind: 'user'; user: UserRecord };

export async function resolveActor(ctx: CoreContext, request: FastifyRequest): Promise<Actor> {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw unauthorized('missing bearer token (Authorization: Bearer <token>)');
  const token = match[1]!;
  const hash = hashToken(token);
  const now = ctx.clock();
  if (token.startsWith('rtu_')) {
    const user = await ctx.store.findUserByToken(hash, now);
    if (user) return { kind: 'user', user };
  } else {
    const client = await ctx.store.findClientByToken(hash, now, request);
    if (client) return { kind: 'client', client };
  }
  throw unauthorized('bearer token is invalid, expired or revoked');
}

export async function requireClient(ctx: CoreContext, request: FastifyRequest) {
  const actor = await resolveActor(ctx, request);
  if (actor.kind !== 'client') {
    throw new CoreError('FORBIDDEN_ACTOR', 403, 'this endpoint is for agents (technical bearer)');
  }
  return actor.client;
}

export async function requireUser(ctx: CoreContext, request: FastifyRequest) {
  const actor = await resolveActor(ctx, request);
  if (actor.kind !== 'user') {
    throw new CoreError(
      'FORBIDDEN_ACTOR',
      403,
      'this endpoint is for human operators (user bearer)',
    );
  }
  return actor.user;
}
