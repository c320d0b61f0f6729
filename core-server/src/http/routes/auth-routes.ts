// Device flow, client tokens, human login and the operator's client controls.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  mintClientToken,
  revokeClientToken,
  rotateClientSecret,
} from '../../auth/client-credentials.js';
import { cancelDeviceFlow, pollDeviceFlow, startDeviceFlow } from '../../auth/device-flow.js';
import { hashToken, randomSecret, verifyPasswordOfUser } from '../../auth/secret-hash.js';
import { CoreError, notFound, unauthorized, validationFailed } from '../../errors/core-error.js';
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
    return mintClientToken(ctx, body.client_id, body.secret_key, request.ip);
  });

  api.post('/auth/login', async (request) => {
    const body = parseBody(loginRequest, request.body);
    const email = body.email.toLowerCase();
    // Reserved before the (slow) hash: concurrent guesses cannot all pass the budget check.
    const ticket = await ctx.guesses.reserve('login', request.ip, email);
    await ticket.paced();
    const user = await ctx.store.findUserByEmail(email);
    if (!(await verifyPasswordOfUser(body.password, user?.password_hash)) || !user) {
      await ctx.store.logSecurityEvent('login_rejected', { email, ip: request.ip });
      throw unauthorized('invalid email or password');
    }
    await ticket.succeeded();
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

  api.post('/auth/logout', async (request, reply) => {
    await requireUser(ctx, request);
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')![1]!;
    await ctx.store.revokeUserToken(hashToken(token));
    // The contract's 200 has no body.
    return reply.status(200).send();
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

  // Not in the v1 contract: the /device page shows ONE pending flow, the one whose user code the
  // operator typed or followed a link to — never a list of every stranger's request.
  api.get<{ Querystring: { user_code?: string } }>(
    '/auth/clients/device/pending',
    async (request) => {
      await requireUser(ctx, request);
      const code = (request.query.user_code ?? '').toUpperCase();
      if (!/^[A-Z]{4}-[A-Z]{4}$/.test(code)) {
        throw validationFailed('user_code is required, as shown by the agent (e.g. BCDF-GHJK)');
      }
      const flow = await ctx.store.findDeviceFlowByUserCode(code);
      if (!flow || flow.status !== 'PENDING' || flow.expires_at_ms <= ctx.clock()) {
        throw notFound('pending device flow with user code', code);
      }
      return {
        user_code: flow.user_code,
        client_label: flow.client_label,
        requester_ip: flow.requester_ip ?? null,
        requested_at: new Date(flow.created_at_ms).toISOString(),
        expires_at: new Date(flow.expires_at_ms).toISOString(),
      };
    },
  );
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
