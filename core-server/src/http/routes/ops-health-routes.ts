// Operator views of this Core's health and work in progress (docs/operations.md):
// GET /ops/readiness, GET /ops/jobs/queue, GET /ops/locks and POST /ops/locks/recover. User bearer
// only, like every /ops route; a validation failure is 400 VALIDATION_FAILED.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../server/core-context.js';
import { recoverStaleLocks } from '../../server/lock-recovery.js';
import { ReadinessProbe } from '../../server/readiness.js';
import { requireUser } from '../request-actor.js';
import { opsBody, pageParam } from './ops-params.js';

const recoverSchema = z
  .object({
    stale_lock_minutes: z.number().int().min(1).default(30),
    dry_run: z.boolean().default(false),
  })
  .strict();

export function registerOpsHealthRoutes(api: FastifyInstance, ctx: CoreContext): void {
  const probe = new ReadinessProbe(ctx);

  api.get('/ops/readiness', async (request) => {
    await requireUser(ctx, request);
    return probe.check();
  });

  api.get('/ops/jobs/queue', async (request) => {
    await requireUser(ctx, request);
    const nowMs = ctx.clock();
    const rows = await ctx.store.ops.jobQueueByType();
    const by_type = rows.map((r) => ({
      job_type: r.job_type,
      pending: r.pending,
      claimed: r.claimed,
      failed: r.failed,
      oldest_pending_age_seconds:
        r.oldest_pending_created_at === null
          ? null
          : Math.max(0, Math.floor((nowMs - Date.parse(r.oldest_pending_created_at)) / 1000)),
    }));
    const total = (k: 'pending' | 'claimed' | 'failed') => rows.reduce((n, r) => n + r[k], 0);
    return {
      summary: {
        pending_total: total('pending'),
        claimed_total: total('claimed'),
        failed_total: total('failed'),
      },
      by_type,
    };
  });

  api.get<{
    Querystring: { asset_uuid?: string; lock_type?: string; limit?: string; offset?: string };
  }>('/ops/locks', async (request) => {
    await requireUser(ctx, request);
    const q = request.query;
    const { items, total } = await ctx.store.ops.listOperationLocks({
      ...(q.asset_uuid !== undefined ? { assetUuid: q.asset_uuid } : {}),
      ...(q.lock_type !== undefined ? { lockType: q.lock_type } : {}),
      limit: pageParam('limit', q.limit, { min: 1, max: 200, fallback: 50 }),
      offset: pageParam('offset', q.offset, { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: 0 }),
    });
    return {
      items: items.map((l) => ({
        id: l.id,
        asset_uuid: l.asset_uuid,
        lock_type: l.lock_type,
        actor_id: l.actor_id,
        acquired_at: l.acquired_at,
        // Only held locks are stored: a released one is gone, so this is always null.
        released_at: null,
      })),
      total,
    };
  });

  api.post('/ops/locks/recover', async (request) => {
    await requireUser(ctx, request);
    const body = opsBody(recoverSchema, request.body);
    return recoverStaleLocks(ctx, body.stale_lock_minutes, body.dry_run);
  });
}
