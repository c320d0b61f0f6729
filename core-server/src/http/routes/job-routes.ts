// The agent's job loop: list, claim, heartbeat, submit, fail (docs/protocol.md#the-agent-loop, docs/asset-states.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NONCE_REPLAYED, rejectSignedRequest } from '../../auth/signed-request.js';
import { CoreError } from '../../errors/core-error.js';
import { submitInOneCommit, submitJobResult } from '../../jobs/submit-job-result.js';
import { OfferSpreader } from '../../jobs/offer-spread.js';
import type { CoreContext } from '../../server/core-context.js';
import type { AgentRecord, JobRecord } from '../../store/records.js';
import type { ClaimableJob } from '../../store/store-types.js';
import {
  failSchema,
  leaseSchema,
  submitSchema,
  type SubmitBody,
} from '../../jobs/job-result-schema.js';
import {
  answerUsedKey,
  idempotencyRequestHash,
  idempotencyScope,
  idempotent,
} from '../idempotent.js';
import { withAuthCheckedAtCommit } from '../auth-at-commit.js';
import { parseBody } from '../parse-body.js';
import { requireClient } from '../request-actor.js';
import { apiPathScrubber } from '../scrub-paths.js';
import { signedAgentWrite, touchAgent } from '../signed-agent-write.js';
import { wireJob } from '../wire-views.js';

type JobParams = { Params: { job_id: string } };

const OPEN_LIST = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_LIST = Buffer.from(']');

/**
 * A submit that can take the one-commit path: a usable Idempotency-Key and lock token, a body
 * that validates, and no derived files (those are checked against uploads and moved around the
 * transaction). Anything else takes the general path, which answers exactly as before.
 */
function plainSubmit(request: FastifyRequest): SubmitBody | undefined {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) return undefined;
  const token = (request.body as { lock_token?: unknown } | undefined)?.lock_token;
  if (typeof token !== 'string' || token.length === 0) return undefined;
  const parsed = submitSchema.safeParse(request.body ?? {});
  if (!parsed.success || 'derived_patch' in parsed.data.result) return undefined;
  return parsed.data;
}

/** A missing lock_token is 423 LOCK_REQUIRED, not a plain validation error. */
function requireLockToken(body: unknown): void {
  const token = (body as { lock_token?: unknown } | undefined)?.lock_token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new CoreError(
      'LOCK_REQUIRED',
      423,
      'lock_token and fencing_token from the claim are required',
    );
  }
}

/**
 * The agent a poll is for: the one named in X-Retaia-Agent-Id when it belongs to this client,
 * else the client's most recently registered agent (agents do not name themselves on GET).
 */
async function pollingAgent(
  ctx: CoreContext,
  clientId: string,
  request: FastifyRequest,
): Promise<AgentRecord | undefined> {
  const headerAgent = request.headers['x-retaia-agent-id'];
  if (typeof headerAgent === 'string') {
    const named = await ctx.store.getAgent(headerAgent, request);
    if (named?.client_id === clientId) return named;
  }
  return ctx.store.latestAgentOfClient(clientId, request);
}

const spreaders = new WeakMap<CoreContext, OfferSpreader>();
/** One per running Core (tests run several in one process). */
function offerSpreader(ctx: CoreContext): OfferSpreader {
  let spreader = spreaders.get(ctx);
  if (!spreader) spreaders.set(ctx, (spreader = new OfferSpreader()));
  return spreader;
}

export function registerJobRoutes(api: FastifyInstance, ctx: CoreContext): void {
  // The claimable index hands out the same frozen job records until a job or its asset changes,
  // so each poll entry is serialized, scrubbed of server paths and encoded once, not once per
  // poll (polls return up to 500 jobs, ~170 KB). The answer is those bytes joined: a string
  // answer cost another pass to measure it and one to encode it, ~15 µs of a 200-job poll.
  const scrub = apiPathScrubber(ctx.options);
  const wireCache = new WeakMap<JobRecord, Buffer>();
  const wireBytes = ({ job, asset }: ClaimableJob) => {
    let bytes = wireCache.get(job);
    if (bytes === undefined) {
      bytes = Buffer.from(scrub(JSON.stringify(wireJob(job, asset, ctx.options.storageId))));
      wireCache.set(job, bytes);
    }
    return bytes;
  };

  /** The poll's agent and its claimable jobs, its credentials checked in the poll's read. */
  const poll = async (request: FastifyRequest, limit: number, nowMs: number) => {
    const client = await requireClient(ctx, request);
    const agent = await pollingAgent(ctx, client.client_id, request);
    if (!agent) return undefined;
    await touchAgent(ctx, agent.agent_id);
    const claimable = await ctx.store.listClaimableJobs({
      effectiveCapabilities: agent.effective_capabilities,
      flags: ctx.flags,
      limit,
      nowMs,
      authVersion: ctx.store.authChecks?.versionOf(request),
    });
    return { agent, claimable };
  };

  api.get<{ Querystring: { limit?: string } }>('/jobs', async (request, reply) => {
    const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 500);
    const nowMs = ctx.clock();
    const polled = await withAuthCheckedAtCommit(ctx, request, () => poll(request, limit, nowMs));
    if (!polled) return [];
    const { agent, claimable } = polled;
    const spread = offerSpreader(ctx).order(
      claimable,
      (c) => c.job.asset_uuid,
      agent.agent_id,
      nowMs,
    );
    const parts: Buffer[] = [OPEN_LIST];
    spread.forEach((entry, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(wireBytes(entry));
    });
    parts.push(CLOSE_LIST);
    return reply.type('application/json; charset=utf-8').send(Buffer.concat(parts));
  });

  /**
   * Authenticates and claims. With a store that can, the nonce is recorded (and the credentials
   * checked) in the claim's own transaction.
   */
  const claim = async (request: FastifyRequest<JobParams>) => {
    const { client, agent, nonce } = await signedAgentWrite(ctx, request, {
      deferNonce: ctx.store.claimJobOnce !== undefined,
    });
    const input = {
      jobId: request.params.job_id,
      agentId: agent.agent_id,
      effectiveCapabilities: agent.effective_capabilities,
      flags: ctx.flags,
      nowMs: ctx.clock(),
      leaseTtlMs: ctx.options.leaseTtlSeconds * 1000,
    };
    if (!nonce) return { agent, claimed: await ctx.store.claimJob(input) };
    const out = await ctx.store.claimJobOnce!(input, nonce);
    if (out.kind === 'nonce_replayed') {
      return rejectSignedRequest(ctx, request, client.client_id, agent.agent_id, NONCE_REPLAYED);
    }
    return { agent, claimed: out };
  };

  api.post<JobParams>('/jobs/:job_id/claim', async (request) => {
    const { agent, claimed } =
      ctx.store.claimJobOnce !== undefined
        ? await withAuthCheckedAtCommit(ctx, request, () => claim(request))
        : await claim(request);
    const { job, asset } = claimed;
    request.log.info(
      {
        job_id: job.job_id,
        asset_uuid: job.asset_uuid,
        agent_id: agent.agent_id,
        fencing_token: job.fencing_token,
      },
      'job claimed',
    );
    return wireJob(job, asset, ctx.options.storageId);
  });

  api.post<JobParams>('/jobs/:job_id/heartbeat', async (request) => {
    const { agent } = await signedAgentWrite(ctx, request);
    requireLockToken(request.body);
    const body = parseBody(leaseSchema, request.body);
    const job = await ctx.store.extendLease(
      {
        jobId: request.params.job_id,
        agentId: agent.agent_id,
        lockToken: body.lock_token,
        fencingToken: body.fencing_token,
        nowMs: ctx.clock(),
      },
      ctx.options.leaseTtlSeconds * 1000,
    );
    return {
      locked_until: new Date(job.locked_until_ms!).toISOString(),
      fencing_token: job.fencing_token,
    };
  });

  /**
   * Authenticates and submits: in one commit (nonce, Idempotency-Key, completion, credentials
   * check) when `oneCommit` is the validated body, else the general idempotent path.
   */
  const submit = async (
    request: FastifyRequest<JobParams>,
    reply: FastifyReply,
    oneCommit: SubmitBody | undefined,
  ) => {
    const { client, agent, bodySha256, nonce } = await signedAgentWrite(ctx, request, {
      deferNonce: oneCommit !== undefined,
    });
    const logSubmitted = (out: { job_id: string; asset_uuid: string; asset_state: string }) =>
      request.log.info(
        {
          job_id: out.job_id,
          asset_uuid: out.asset_uuid,
          agent_id: agent.agent_id,
          asset_state: out.asset_state,
        },
        'job submitted',
      );
    if (oneCommit && nonce) {
      const out = await submitInOneCommit(
        ctx,
        request.params.job_id,
        agent.agent_id,
        oneCommit,
        nonce,
        {
          scope: idempotencyScope(request, agent.agent_id),
          requestSha256: idempotencyRequestHash(bodySha256),
          nowMs: ctx.clock(),
        },
      );
      if (out.kind === 'nonce_replayed') {
        return rejectSignedRequest(ctx, request, client.client_id, agent.agent_id, NONCE_REPLAYED);
      }
      if (out.kind !== 'completed') return answerUsedKey(out, reply);
      logSubmitted(out.body as Parameters<typeof logSubmitted>[0]);
      return out.body;
    }
    return idempotent(ctx, request, reply, agent.agent_id, bodySha256, async () => {
      requireLockToken(request.body);
      const body = parseBody(submitSchema, request.body);
      const out = await submitJobResult(ctx, request.params.job_id, agent.agent_id, body);
      logSubmitted(out);
      return out;
    });
  };

  api.post<JobParams>('/jobs/:job_id/submit', async (request, reply) => {
    const oneCommit = ctx.store.completeJobOnce ? plainSubmit(request) : undefined;
    // The one-commit path checks the credentials in the completion's transaction.
    return oneCommit
      ? withAuthCheckedAtCommit(ctx, request, () => submit(request, reply, oneCommit))
      : submit(request, reply, undefined);
  });

  api.post<JobParams>('/jobs/:job_id/fail', async (request, reply) => {
    const { agent, bodySha256 } = await signedAgentWrite(ctx, request);
    return idempotent(ctx, request, reply, agent.agent_id, bodySha256, async () => {
      requireLockToken(request.body);
      const body = parseBody(failSchema, request.body);
      const job = await ctx.store.failJob({
        jobId: request.params.job_id,
        agentId: agent.agent_id,
        lockToken: body.lock_token,
        fencingToken: body.fencing_token,
        nowMs: ctx.clock(),
        errorCode: body.error_code,
        message: body.message ?? null,
        retryable: body.retryable,
        maxAttempts: ctx.options.maxAttempts,
      });
      request.log.warn(
        {
          job_id: job.job_id,
          asset_uuid: job.asset_uuid,
          agent_id: agent.agent_id,
          error_code: body.error_code,
          retryable: body.retryable,
          status: job.status,
        },
        'job failed',
      );
      return { job_id: job.job_id, status: job.status, attempts: job.attempts };
    });
  });
}
