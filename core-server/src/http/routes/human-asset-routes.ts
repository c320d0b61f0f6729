// Human mutations (user bearer only): PATCH /assets/{uuid} (decision, cancel, profile choice,
// tags, notes), reopen, reprocess, purge (+ preview, + bulk) and the apply-decisions extension
// POST /ops/decisions/apply that runs the mover. Every single-asset mutation needs If-Match
// (428/412); reprocess and purge also need an Idempotency-Key, like the contract says.
import { rm } from 'node:fs/promises';
import { PROCESSING_PROFILES } from '@retaia/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { assetEtag } from '../../domain/asset-etag.js';
import { notFound } from '../../errors/core-error.js';
import {
  applyDecisions,
  planMoves,
  previewPurge,
  purgeAsset,
  resolveInsideRoot,
  toMovableAsset,
  type MovableAsset,
} from '../../moves/index.js';
import type { CoreContext } from '../../server/core-context.js';
import { assertUuid } from '../../uploads/upload-paths.js';
import { requireIfMatch } from '../if-match.js';
import { idempotent } from '../idempotent.js';
import { parseBody } from '../parse-body.js';
import { requireUser } from '../request-actor.js';
import { wireDetail } from '../wire-views.js';

type UuidParams = { Params: { uuid: string } };

const PATCHABLE = ['state', 'processing_profile', 'tags', 'notes'] as const;

const patchSchema = z
  .object({
    state: z.enum(['DECISION_PENDING', 'DECIDED_KEEP', 'DECIDED_REJECT', 'ARCHIVED', 'REJECTED']),
    processing_profile: z.enum(PROCESSING_PROFILES),
    tags: z.array(z.string().trim().min(1).max(100)).max(100),
    notes: z.string().max(10_000).nullable(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, {
    message: `send at least one of ${PATCHABLE.join(', ')}`,
  })
  .refine((b) => !(b.state && b.processing_profile), {
    message: 'change either state or processing_profile in one request, not both',
  });

const confirmSchema = z.object({ confirm: z.literal(true) }).strict();
const bulkPurgeSchema = z
  .object({ asset_uuids: z.array(z.uuid()).min(1).max(1000), confirm: z.literal(true) })
  .strict();
const applySchema = z
  .object({ dry_run: z.boolean(), asset_uuids: z.array(z.uuid()).min(1).max(5000).optional() })
  .strict();

const bodyKey = (request: FastifyRequest) => request.rawBody?.toString('utf8') ?? '';

export function registerHumanAssetRoutes(api: FastifyInstance, ctx: CoreContext): void {
  const loadAsset = async (uuid: string) => {
    assertUuid(uuid, 'uuid');
    const asset = await ctx.store.getAsset(uuid);
    if (!asset) throw notFound('asset', uuid);
    return asset;
  };
  const detailOf = async (uuid: string) => {
    const asset = (await ctx.store.getAsset(uuid))!;
    return {
      etag: assetEtag(asset.uuid, asset.revision),
      body: wireDetail(
        asset,
        await ctx.store.listDerived(uuid),
        ctx.options.storageId,
        await ctx.store.listAssetJobs(uuid),
        await ctx.store.listDecisionHistory(uuid),
      ),
    };
  };
  const movable = async (uuid: string): Promise<MovableAsset | undefined> => {
    const a = await ctx.store.getAsset(uuid);
    return a ? toMovableAsset(a, ctx.options.storageId) : undefined;
  };

  api.patch<UuidParams>('/assets/:uuid', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    const patch = parseBody(patchSchema, request.body);
    const expectedRevision = requireIfMatch(request, asset);
    await ctx.store.patchAsset({
      uuid: asset.uuid,
      expectedRevision,
      nowMs: ctx.clock(),
      by: user.email,
      patch,
      flags: ctx.flags,
    });
    const { etag, body } = await detailOf(asset.uuid);
    void reply.header('etag', etag).header('cache-control', 'private, no-store');
    return body;
  });

  api.post<UuidParams>('/assets/:uuid/reopen', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    const expectedRevision = requireIfMatch(request, asset);
    await ctx.store.reopenAsset({
      uuid: asset.uuid,
      expectedRevision,
      nowMs: ctx.clock(),
      by: user.email,
    });
    const { etag, body } = await detailOf(asset.uuid);
    void reply.header('etag', etag);
    return body;
  });

  api.post<UuidParams>('/assets/:uuid/reprocess', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    return idempotent(ctx, request, reply, `user:${user.user_id}`, bodyKey(request), async () => {
      const expectedRevision = requireIfMatch(request, asset);
      const { droppedDerived } = await ctx.store.reprocessAsset({
        uuid: asset.uuid,
        expectedRevision,
        nowMs: ctx.clock(),
        by: user.email,
        flags: ctx.flags,
      });
      // Records are gone in the committed transaction; the files are just garbage now.
      for (const rel of droppedDerived) {
        await rm(await resolveInsideRoot(ctx.options.storageRoot, rel), { force: true }).catch(
          (err: unknown) =>
            request.log.warn({ err, rel }, 'could not delete a dropped derived file'),
        );
      }
      const { etag, body } = await detailOf(asset.uuid);
      void reply.header('etag', etag);
      return body;
    });
  });

  api.post<UuidParams>('/assets/:uuid/purge/preview', async (request) => {
    await requireUser(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    return previewPurge(toMovableAsset(asset, ctx.options.storageId), ctx.moves.storage);
  });

  api.post<UuidParams>('/assets/:uuid/purge', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    parseBody(confirmSchema, request.body);
    return idempotent(ctx, request, reply, `user:${user.user_id}`, bodyKey(request), async () => {
      requireIfMatch(request, asset);
      return purgeAsset(asset.uuid, ctx.moves);
    });
  });

  api.post('/assets/purge', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const body = parseBody(bulkPurgeSchema, request.body);
    return idempotent(ctx, request, reply, `user:${user.user_id}`, bodyKey(request), async () => {
      const results = [];
      for (const uuid of [...new Set(body.asset_uuids)]) {
        if (!(await ctx.store.getAsset(uuid))) {
          results.push({
            asset_uuid: uuid,
            status: 'FAILED',
            code: 'VALIDATION_FAILED',
            message: 'unknown asset',
          });
          continue;
        }
        try {
          const r = await purgeAsset(uuid, ctx.moves);
          results.push({ ...r });
        } catch (err) {
          const e = err as { code?: string; message: string };
          results.push({
            asset_uuid: uuid,
            status: 'FAILED',
            code: e.code ?? 'TEMPORARY_UNAVAILABLE',
            message: e.message,
          });
        }
      }
      return {
        requested: results.length,
        purged: results.filter((r) => r.status === 'PURGED' || r.status === 'ALREADY_PURGED')
          .length,
        failed: results.filter((r) => r.status === 'FAILED').length,
        results,
      };
    });
  });

  // Extension (not in the v1 contract): dry run = planMoves, apply = applyDecisions.
  api.post('/ops/decisions/apply', async (request, reply) => {
    const user = await requireUser(ctx, request);
    const body = parseBody(applySchema, request.body);
    const uuids =
      body.asset_uuids ??
      (
        await ctx.store.listAssets({
          states: ['DECIDED_KEEP', 'DECIDED_REJECT'],
          limit: 100_000,
          offset: 0,
        })
      ).map((a) => a.uuid);
    if (body.dry_run) {
      const assets: MovableAsset[] = [];
      const unknown: string[] = [];
      for (const uuid of uuids) {
        const a = await movable(uuid);
        if (a) assets.push(a);
        else unknown.push(uuid);
      }
      const plan = await planMoves(assets, ctx.moves.storage);
      for (const uuid of unknown) {
        plan.errors.push({ asset_uuid: uuid, code: 'VALIDATION_FAILED', message: 'unknown asset' });
      }
      return { dry_run: true, ...plan };
    }
    return idempotent(ctx, request, reply, `user:${user.user_id}`, bodyKey(request), async () => {
      const result = await applyDecisions(uuids, ctx.moves);
      request.log.info(
        { user_id: user.user_id, moved: result.moved, failed: result.failed },
        'decisions applied',
      );
      return { dry_run: false, ...result };
    });
  });
}
