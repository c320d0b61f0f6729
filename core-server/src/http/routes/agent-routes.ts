// Agent registration (signed with the key it carries) and the runtime policy.
import { CAPABILITIES, FEATURE_FLAGS, sha256Hex } from '@retaia/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { verifySignedRequest } from '../../auth/signed-request.js';
import { CoreError, unauthorized } from '../../errors/core-error.js';
import type { CoreContext } from '../../server/core-context.js';
import { parseBody } from '../parse-body.js';
import { requireClient, resolveActor } from '../request-actor.js';
import { FEATURE_FLAGS_CONTRACT_VERSION, serverPolicy } from '../wire-views.js';

const SEMVER = /^[0-9]+\.[0-9]+\.[0-9]+$/;
const registerBody = z
  .object({
    agent_id: z.uuid(),
    agent_name: z.string().min(1).max(200),
    agent_version: z.string().min(1).max(100),
    openpgp_public_key: z.string().min(1).max(20_000),
    openpgp_fingerprint: z.string().regex(/^[0-9A-Fa-f]{40}$/),
    os_name: z.enum(['linux', 'macos', 'windows']),
    os_version: z.string().max(200),
    arch: z.enum(['x86_64', 'arm64', 'armv7', 'other']),
    capabilities: z.array(z.string().max(200)).max(100),
    client_feature_flags_contract_version: z.string().regex(SEMVER).optional(),
    max_parallel_jobs: z.number().int().min(1).max(256).optional(),
  })
  .strict();

const KNOWN_CAPABILITIES = new Set<string>(Object.values(CAPABILITIES));

function checkContractVersion(version: string | undefined): void {
  if (version && version.split('.')[0] !== FEATURE_FLAGS_CONTRACT_VERSION.split('.')[0]) {
    throw new CoreError(
      'UNSUPPORTED_FEATURE_FLAGS_CONTRACT_VERSION',
      426,
      `feature-flags contract ${version} is not supported; this Core serves ${FEATURE_FLAGS_CONTRACT_VERSION}`,
    );
  }
}

export function registerAgentRoutes(api: FastifyInstance, ctx: CoreContext): void {
  api.post('/agents/register', async (request) => {
    const client = await requireClient(ctx, request);
    const raw = request.rawBody ?? Buffer.alloc(0);
    const key = (request.body as { openpgp_public_key?: unknown } | undefined)?.openpgp_public_key;
    const signed = await verifySignedRequest(
      ctx,
      request,
      client.client_id,
      sha256Hex(raw),
      typeof key === 'string' ? key : '',
    );
    const body = parseBody(registerBody, request.body);
    if (body.agent_id !== signed.agentId)
      throw unauthorized('agent_id differs from X-Retaia-Agent-Id');
    if (body.openpgp_fingerprint.toUpperCase() !== signed.fingerprint) {
      throw unauthorized('openpgp_fingerprint does not match openpgp_public_key');
    }
    checkContractVersion(body.client_feature_flags_contract_version);

    const existing = await ctx.store.getAgent(body.agent_id);
    if (
      existing &&
      existing.client_id !== client.client_id &&
      existing.fingerprint !== signed.fingerprint
    ) {
      // Same agent_id, another client, another key: someone else claims this identity. The
      // newcomer is refused and the attempt is a security event; the bound agent is NOT flagged,
      // or anyone holding a client could mark a healthy agent at will.
      await ctx.store.logSecurityEvent('agent_identity_conflict', {
        agent_id: body.agent_id,
        client_id: client.client_id,
        bound_client_id: existing.client_id,
      });
      request.log.warn(
        { agent_id: body.agent_id, client_id: client.client_id },
        'agent identity conflict',
      );
      throw unauthorized(
        'agent_id is bound to another client and key (identity conflict); an operator must resolve it',
      );
    }
    if (existing && existing.fingerprint !== signed.fingerprint) {
      await ctx.store.logSecurityEvent('agent_key_rotated', {
        agent_id: body.agent_id,
        client_id: client.client_id,
      });
    }

    const flags = ctx.flags;
    const effective = body.capabilities.filter((c) => KNOWN_CAPABILITIES.has(c));
    const warnings = body.capabilities
      .filter((c) => !KNOWN_CAPABILITIES.has(c))
      .map((c) => `unknown capability ${c} ignored`);
    if (
      effective.includes(CAPABILITIES.transcription) &&
      flags[FEATURE_FLAGS.transcribeAudio] !== true
    ) {
      warnings.push(
        `${CAPABILITIES.transcription} declared but ${FEATURE_FLAGS.transcribeAudio} is off`,
      );
    }
    const now = new Date(ctx.clock()).toISOString();
    await ctx.store.saveAgent({
      agent_id: body.agent_id,
      client_id: client.client_id,
      agent_name: body.agent_name,
      agent_version: body.agent_version,
      os_name: body.os_name,
      os_version: body.os_version,
      arch: body.arch,
      capabilities: body.capabilities,
      effective_capabilities: [...new Set(effective)],
      capability_warnings: warnings,
      max_parallel_jobs: body.max_parallel_jobs ?? 1,
      public_key: body.openpgp_public_key,
      fingerprint: signed.fingerprint,
      // The bound client re-registering proves the identity: clear a flag older Cores set.
      identity_conflict: false,
      feature_flags_contract_version: body.client_feature_flags_contract_version ?? null,
      last_seen_at: now,
      last_register_at: now,
      last_heartbeat_at: existing?.last_heartbeat_at ?? null,
    });
    request.log.info({ agent_id: body.agent_id, client_id: client.client_id }, 'agent registered');
    return {
      agent_id: body.agent_id,
      effective_capabilities: [...new Set(effective)],
      capability_warnings: warnings,
      server_policy: serverPolicy(ctx.options, flags),
    };
  });

  api.get<{ Querystring: { client_feature_flags_contract_version?: string } }>(
    '/app/policy',
    async (request) => {
      await resolveActor(ctx, request);
      const v = request.query.client_feature_flags_contract_version;
      if (v !== undefined && !SEMVER.test(v)) {
        throw new CoreError(
          'VALIDATION_FAILED',
          422,
          'client_feature_flags_contract_version must be SemVer',
        );
      }
      checkContractVersion(v);
      return { server_policy: serverPolicy(ctx.options, ctx.flags) };
    },
  );
}
