// Operator view of agents (contract shape of GET /ops/agents), and the other /ops routes:
// health, queue and locks (./ops-health-routes.ts), ingest (./ops-ingest-routes.ts).
import type { FastifyInstance } from 'fastify';
import type { CoreContext } from '../../server/core-context.js';
import { CoreError } from '../../errors/core-error.js';
import { requireUser } from '../request-actor.js';
import { describeAgents } from '../../server/describe-agents.js';
import { registerOpsHealthRoutes } from './ops-health-routes.js';
import { registerOpsIngestRoutes } from './ops-ingest-routes.js';

export function registerOpsRoutes(api: FastifyInstance, ctx: CoreContext): void {
  registerOpsHealthRoutes(api, ctx);
  registerOpsIngestRoutes(api, ctx);
  api.get<{ Querystring: { status?: string; limit?: string; offset?: string } }>(
    '/ops/agents',
    async (request) => {
      await requireUser(ctx, request);
      const limit = Number(request.query.limit ?? 50);
      const offset = Number(request.query.offset ?? 0);
      const status = request.query.status;
      if (
        !Number.isInteger(limit) ||
        limit < 1 ||
        limit > 200 ||
        !Number.isInteger(offset) ||
        offset < 0
      ) {
        throw new CoreError('VALIDATION_FAILED', 422, 'limit must be 1..200 and offset ≥ 0');
      }
      if (status && !['online_idle', 'online_busy', 'stale'].includes(status)) {
        throw new CoreError(
          'VALIDATION_FAILED',
          422,
          'status must be online_idle, online_busy or stale',
        );
      }
      const all = (await describeAgents(ctx)).filter((a) => !status || a.status === status);
      return { items: all.slice(offset, offset + limit), total: all.length };
    },
  );
}
