// What discovery saw but did not turn into assets, and re-running an asset's processing
// (docs/operations.md#ingest): GET /ops/ingest/diagnostics, GET /ops/ingest/unmatched,
// POST /ops/ingest/requeue. User bearer only.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../server/core-context.js';
import { requeueIngest } from '../../server/ingest-requeue.js';
import type { UnmatchedSidecarReason } from '../../store/ops-store.js';
import { requireUser } from '../request-actor.js';
import { opsBadRequest, opsBody, pageParam } from './ops-params.js';

const REASONS: readonly UnmatchedSidecarReason[] = [
  'missing_parent',
  'ambiguous_parent',
  'disabled_by_policy',
];
/** How many of the newest unmatched sidecars the diagnostics snapshot lists. */
const LATEST_UNMATCHED = 10;
// RFC 3339 date-time, as the contract's `format: date-time`.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

const requeueSchema = z
  .object({
    asset_uuid: z.string().uuid().optional(),
    path: z.string().min(1).optional(),
    include_sidecars: z.boolean().default(true),
    include_derived: z.boolean().default(true),
    reason: z.string().min(1),
  })
  .strict()
  .refine((b) => b.asset_uuid !== undefined || b.path !== undefined, {
    message: 'give asset_uuid or path (the asset, or the storage path of its file)',
  });

export function registerOpsIngestRoutes(api: FastifyInstance, ctx: CoreContext): void {
  api.get('/ops/ingest/diagnostics', async (request) => {
    await requireUser(ctx, request);
    const counters = await ctx.store.ops.ingestCounters();
    const latest = await ctx.store.ops.listUnmatchedSidecars({ limit: LATEST_UNMATCHED });
    return {
      queued: counters.queued,
      missing: counters.missing,
      unmatched_sidecars: counters.unmatched_sidecars,
      latest_unmatched: latest.items,
    };
  });

  api.get<{ Querystring: { reason?: string; since?: string; limit?: string } }>(
    '/ops/ingest/unmatched',
    async (request) => {
      await requireUser(ctx, request);
      const { reason, since } = request.query;
      if (reason !== undefined && !REASONS.includes(reason as UnmatchedSidecarReason)) {
        throw opsBadRequest(`reason must be one of ${REASONS.join(', ')}`, 'reason');
      }
      let sinceIso: string | undefined;
      if (since !== undefined) {
        const ms = Date.parse(since);
        if (!DATE_TIME.test(since) || Number.isNaN(ms)) {
          throw opsBadRequest(
            `since must be an ISO-8601 date-time such as 2026-01-31T08:00:00Z, got ${JSON.stringify(since.slice(0, 40))}`,
            'since',
          );
        }
        sinceIso = new Date(ms).toISOString();
      }
      return ctx.store.ops.listUnmatchedSidecars({
        ...(reason !== undefined ? { reason: reason as UnmatchedSidecarReason } : {}),
        ...(sinceIso !== undefined ? { since: sinceIso } : {}),
        limit: pageParam('limit', request.query.limit, { min: 1, max: 200, fallback: 50 }),
      });
    },
  );

  api.post('/ops/ingest/requeue', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const body = opsBody(requeueSchema, request.body);
    const result = await requeueIngest(ctx, user, body);
    void reply.status(202);
    return result;
  });
}
