// Device flow, client tokens, human login and the operator's client controls.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  mintClientToken,
  revokeClientToken,
  rotateClientSecret,
} from '../../auth/client-credentials.js';
import { cancelDeviceFlow, pollDeviceFlow, startDeviceFlow } from '../../auth/device-flow.js';
import { hashToken, randomSecret, verifyPassword } from '../../auth/secret-hash.js';
import { CoreError, unauthorized } from '../../errors/core-error.js';
import type { CoreContext } from '../../server/core-context.js';
import { parseBody } from '../parse-body.js';
import { requireUser } from '../request-actor.js';

const deviceStart = z
  .object({ client_kind: z.literal('AGENT'), client_label: z.string().max(200).optional() })
  .strict();
const deviceCode = z.object({ device_code: z.string().min(1).max(200) }).strict();
const tokenRequest = z
  .object({
    client_id: z.string().min(1).max(200),
    client_kind: z.string(),
    secret_key: z.string().min(1).max(500),
  })
  .strict();
const loginRequest = z
  .object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1000) })
  .loose();
const userCodeBody = z.object({ user_code: z.string().min(1).max(20) }).strict();

export const USER_TOKEN_TTL_S = 12 * 3600;

export function registerAuthRoutes(api: FastifyInstance, ctx: CoreContext): void {
  api.post('/auth/clients/device/start', async (request) => {
    const body = parseBody(deviceStart, request.body);
    return startDeviceFlow(ctx, body.client_label, request.ip);
  });

  api.post('/auth/clients/device/poll', async (request) => {
    const body = parseBody(deviceCode, request.body);
    return pollDeviceFlow(ctx, body.device_code);
  });

  api.post('/auth/clients/device/cancel', async (request) => {
    const body = parseBody(deviceCode, request.body);
    await cancelDeviceFlow(ctx, body.device_code);
    return { canceled: true };
  });

  api.post('/auth/clients/token', async (request) => {
    const body = parseBody(tokenRequest, request.body);
    if (body.client_kind !== 'AGENT') {
      throw new CoreError(
        'FORBIDDEN_ACTOR',
        403,
        'only AGENT clients mint tokens with a secret key',
      );
    }
    return mintClientToken(ctx, body.client_id, body.secret_key);
  });

  api.post('/auth/login', async (request) => {
    const body = parseBody(loginRequest, request.body);
    const limits = ctx.options.rateLimits;
    const key = `login-failures:${body.email.toLowerCase()}`;
    ctx.limiter.check(key, { max: limits.loginFailuresPerWindow, windowMs: limits.windowMs });
    const user = await ctx.store.findUserByEmail(body.email);
    if (!user || !(await verifyPassword(body.password, user.password_hash))) {
      ctx.limiter.record(key);
      await ctx.store.logSecurityEvent('login_rejected', { email: body.email });
      throw unauthorized('invalid email or password');
    }
    ctx.limiter.reset(key);
    const token = randomSecret('rtu_');
    await ctx.store.saveUserToken(
      hashToken(token),
      user.user_id,
      ctx.clock() + USER_TOKEN_TTL_S * 1000,
    );
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: USER_TOKEN_TTL_S,
      client_kind: 'UI_WEB',
    };
  });

  api.post<{ Params: { client_id: string } }>(
    '/auth/clients/:client_id/rotate-secret',
    async (request) => {
      await requireUser(ctx, request);
      return rotateClientSecret(ctx, request.params.client_id);
    },
  );

  api.post<{ Params: { client_id: string } }>(
    '/auth/clients/:client_id/revoke-token',
    async (request) => {
      await requireUser(ctx, request);
      return revokeClientToken(ctx, request.params.client_id);
    },
  );

  // Not in the v1 contract: lets a logged-in human approve/deny a device from a browser UI.
  api.get('/auth/clients/device/pending', async (request) => {
    await requireUser(ctx, request);
    const flows = await ctx.store.listPendingDeviceFlows(ctx.clock());
    return {
      items: flows.map((f) => ({
        user_code: f.user_code,
        client_label: f.client_label,
        expires_at: new Date(f.expires_at_ms).toISOString(),
      })),
    };
  });
  api.post('/auth/clients/device/approve', async (request) => {
    const user = await requireUser(ctx, request);
    const body = parseBody(userCodeBody, request.body);
    await ctx.store.approveDeviceFlow(body.user_code, user.user_id, ctx.clock());
    return { approved: true };
  });
  api.post('/auth/clients/device/deny', async (request) => {
    await requireUser(ctx, request);
    const body = parseBody(userCodeBody, request.body);
    await ctx.store.denyDeviceFlow(body.user_code);
    return { denied: true };
  });
}
