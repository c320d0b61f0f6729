// Preamble of every signed agent write except register: technical bearer, then the signature
// against the key bound to the agent (which must belong to that bearer's client).
import { sha256Hex } from '@retaia/protocol';
import type { FastifyRequest } from 'fastify';
import { verifySignedRequest } from '../auth/signed-request.js';
import type { AgentRecord, ClientRecord } from '../store/records.js';
import type { CoreContext } from '../server/core-context.js';
import type { NonceUse } from '../store/store-types.js';
import { requireClient } from './request-actor.js';

export interface AgentWrite {
  client: ClientRecord;
  agent: AgentRecord;
  bodySha256: string;
  /** With `deferNonce`: the nonce the caller must record (see verifySignedRequest). */
  nonce?: NonceUse;
}

export async function signedAgentWrite(
  ctx: CoreContext,
  request: FastifyRequest,
  opts: { deferNonce?: boolean } = {},
): Promise<AgentWrite> {
  const bodySha256 = sha256Hex(request.rawBody ?? Buffer.alloc(0));
  const client = await requireClient(ctx, request);
  const signed = await verifySignedRequest(
    ctx,
    request,
    client.client_id,
    bodySha256,
    undefined,
    opts,
  );
  await touchAgent(ctx, signed.agentId);
  return { client, agent: signed.agent!, bodySha256, nonce: signed.nonce };
}

/**
 * last_seen_at feeds a staleness check measured in minutes, yet writing it on every poll, claim
 * and submit was one database commit each: it is written at most once per TOUCH_EVERY_MS per agent.
 */
export const TOUCH_EVERY_MS = 1000;
const lastTouch = new WeakMap<CoreContext, Map<string, number>>();

export async function touchAgent(ctx: CoreContext, agentId: string): Promise<void> {
  let touched = lastTouch.get(ctx);
  if (!touched) lastTouch.set(ctx, (touched = new Map()));
  const now = ctx.clock();
  const last = touched.get(agentId);
  if (last !== undefined && now - last < TOUCH_EVERY_MS && now >= last) return;
  touched.set(agentId, now);
  await ctx.store.touchAgent(agentId, now);
}
