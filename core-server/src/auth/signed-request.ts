// Verification of the OpenPGP request signature every agent write carries (docs/protocol.md#identity-enrolment-and-signed-writes): headers
// present, timestamp within 60 s, fingerprint of the bound key, signature over the six-line text
// (path as received incl. /api/v1, sha256 of the raw body), nonce never seen in 15 min. Any
// failure is a 401 UNAUTHORIZED and a logged security event (without secrets).
import {
  SIGNATURE_HEADERS,
  SIGNATURE_TIMESTAMP_PATTERN,
  buildSigningTextFromDigest,
  readAgentPublicKey,
  stripQuery,
  verifyRequestSignature,
  type ParsedPublicKey,
} from '@retaia/protocol';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors/core-error.js';
import type { AgentRecord } from '../store/records.js';
import { AuthChangedError, type NonceUse } from '../store/store-types.js';
import type { CoreContext } from '../server/core-context.js';

export const SIGNATURE_SKEW_MS = 60_000;
export const NONCE_WINDOW_MS = 15 * 60_000;

export interface SignedBy {
  agentId: string;
  fingerprint: string;
  /** The registered agent (absent only while verifying a register). */
  agent?: AgentRecord;
  /**
   * Only with `deferNonce`: the nonce still to record, which the caller hands to a store verb
   * that records it in the operation's own transaction (or to rememberNonceOrReject).
   */
  nonce?: NonceUse;
}

/** The request is refused: security event, warning, 401 (never says more than the reason). */
export async function rejectSignedRequest(
  ctx: CoreContext,
  request: FastifyRequest,
  clientId: string,
  agentId: string | undefined,
  reason: string,
): Promise<never> {
  await ctx.store.logSecurityEvent('signature_rejected', {
    reason,
    agent_id: agentId,
    client_id: clientId,
    method: request.method,
    path: stripQuery(request.raw.url ?? ''),
  });
  request.log.warn({ agent_id: agentId, client_id: clientId, reason }, 'signed request rejected');
  throw unauthorized(`request signature rejected: ${reason}`);
}

export const NONCE_REPLAYED = 'nonce replayed';

/**
 * Parsed keys by their armored text (so a re-registered agent with a new key gets a new entry):
 * parsing and the key's self-checks cost far more than a verification.
 */
const keyCache = new Map<string, ParsedPublicKey>();

async function parseKey(armored: string): Promise<ParsedPublicKey> {
  const cached = keyCache.get(armored);
  if (cached) return cached;
  const parsed = await readAgentPublicKey(armored);
  if (keyCache.size > 1000) keyCache.clear();
  keyCache.set(armored, parsed);
  return parsed;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * @param registerKey armored key from a register body: a register is verified against the key
 * it carries; every other write against the key bound to the agent at register.
 */
export async function verifySignedRequest(
  ctx: CoreContext,
  request: FastifyRequest,
  clientId: string,
  bodySha256: string,
  registerKey?: string,
  { deferNonce = false }: { deferNonce?: boolean } = {},
): Promise<SignedBy> {
  const agentId = header(request, SIGNATURE_HEADERS.agentId);
  const fingerprint = header(request, SIGNATURE_HEADERS.fingerprint);
  const signature = header(request, SIGNATURE_HEADERS.signature);
  const timestamp = header(request, SIGNATURE_HEADERS.timestamp);
  const nonce = header(request, SIGNATURE_HEADERS.nonce);
  const path = stripQuery(request.raw.url ?? '');
  const reject = async (reason: string): Promise<never> => {
    // A deferred request's lookups may predate a re-key: refuse only on current credentials.
    if (await ctx.store.authChecks?.changedSince(request)) throw new AuthChangedError();
    return rejectSignedRequest(ctx, request, clientId, agentId, reason);
  };

  if (!agentId || !fingerprint || !signature || !timestamp || !nonce) {
    return reject('missing X-Retaia-* signature header(s)');
  }
  if (!SIGNATURE_TIMESTAMP_PATTERN.test(timestamp)) return reject('malformed timestamp');
  const skew = Math.abs(ctx.clock() - Date.parse(timestamp));
  if (!(skew <= SIGNATURE_SKEW_MS)) return reject(`timestamp ${timestamp} is more than 60 s off`);

  let agent: AgentRecord | undefined;
  let key: ParsedPublicKey;
  if (registerKey !== undefined) {
    try {
      key = await parseKey(registerKey);
    } catch {
      return reject('openpgp_public_key is not a valid public key');
    }
  } else {
    agent = await ctx.store.getAgent(agentId, request);
    if (!agent) return reject('agent is not registered');
    if (agent.client_id !== clientId) return reject('agent is registered to another client');
    key = await parseKey(agent.public_key);
  }
  if (key.fingerprint !== fingerprint.toUpperCase())
    return reject('fingerprint does not match the key');

  const text = buildSigningTextFromDigest({
    method: request.method,
    path,
    agentId,
    timestamp,
    nonce,
    bodySha256,
  });
  if (!(await verifyRequestSignature(key, text, signature))) {
    return reject('signature does not verify');
  }
  const use: NonceUse = {
    agentId,
    nonce,
    nowMs: ctx.clock(),
    windowMs: NONCE_WINDOW_MS,
    authVersion: ctx.store.authChecks?.versionOf(request),
  };
  if (deferNonce) return { agentId, fingerprint: key.fingerprint, agent, nonce: use };
  if (!(await ctx.store.rememberNonce(agentId, nonce, use.nowMs, NONCE_WINDOW_MS))) {
    return reject(NONCE_REPLAYED);
  }
  return { agentId, fingerprint: key.fingerprint, agent };
}
