// Technical client credentials: token minting from (client_id, secret_key), with ONE active
// token per client (minting revokes the previous one), secret rotation and token revocation.
import type { ClientTokenResponse } from '@retaia/protocol';
import { unauthorized } from '../errors/core-error.js';
import type { CoreContext } from '../server/core-context.js';
import { hashToken, randomSecret, tokenMatches } from './secret-hash.js';

export const CLIENT_TOKEN_TTL_S = 24 * 3600;

export async function mintClientToken(
  ctx: CoreContext,
  clientId: string,
  secretKey: string,
  requesterIp: string,
): Promise<ClientTokenResponse> {
  const ticket = await ctx.guesses.reserve('token', requesterIp, clientId);
  await ticket.paced();
  const client = await ctx.store.getClient(clientId);
  if (!client || !client.secret_hash || !tokenMatches(secretKey, client.secret_hash)) {
    await ctx.store.logSecurityEvent('client_token_rejected', {
      client_id: clientId,
      ip: requesterIp,
    });
    ctx.logger.warn({ client_id: clientId }, 'client token mint rejected: invalid credentials');
    throw unauthorized('invalid client credentials');
  }
  await ticket.succeeded();
  const token = randomSecret('rtc_');
  await ctx.store.replaceClientToken(
    clientId,
    hashToken(token),
    ctx.clock() + CLIENT_TOKEN_TTL_S * 1000,
  );
  return {
    client_id: clientId,
    client_kind: 'AGENT',
    access_token: token,
    token_type: 'Bearer',
    expires_in: CLIENT_TOKEN_TTL_S,
  };
}

export async function rotateClientSecret(ctx: CoreContext, clientId: string) {
  const secret = randomSecret('rcs_');
  await ctx.store.setClientSecret(clientId, hashToken(secret));
  await ctx.store.logSecurityEvent('client_secret_rotated', { client_id: clientId });
  return {
    client_id: clientId,
    secret_key: secret,
    rotated_at: new Date(ctx.clock()).toISOString(),
  };
}

export async function revokeClientToken(ctx: CoreContext, clientId: string) {
  const revoked = await ctx.store.revokeClientTokens(clientId);
  await ctx.store.logSecurityEvent('client_token_revoked', { client_id: clientId, revoked });
  return { client_id: clientId, revoked: true, revoked_at: new Date(ctx.clock()).toISOString() };
}
