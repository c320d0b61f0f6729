// Preamble of every signed agent write except register: technical bearer, then the signature
// against the key bound to the agent (which must belong to that bearer's client).
import { sha256Hex } from '@retaia/protocol';
import type { FastifyRequest } from 'fastify';
import { verifySignedRequest } from '../auth/signed-request.js';
import type { AgentRecord, ClientRecord } from '../store/records.js';
import type { CoreContext } from '../server/core-context.js';
import { requireClient } from './request-actor.js';

export interface AgentWrite {
  client: ClientRecord;
  agent: AgentRecord;
  bodySha256: string;
}

export async function signedAgentWrite(
  ctx: CoreContext,
  request: FastifyRequest,
  bodySha256 = sha256Hex(request.rawBody ?? Buffer.alloc(0)),
): Promise<AgentWrite> {
  const client = await requireClient(ctx, request);
  const signed = await verifySignedRequest(ctx, request, client.client_id, bodySha256);
  await ctx.store.touchAgent(signed.agentId, ctx.clock());
  return { client, agent: signed.agent!, bodySha256 };
}
