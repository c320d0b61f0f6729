// Asset reads: list (with FTS search), detail with ETag, derived listing and byte delivery.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  ASSET_STATES,
  DERIVED_KINDS,
  MEDIA_TYPES,
  type AssetState,
  type DerivedKind,
  type MediaType,
} from '@retaia/protocol';
import type { FastifyInstance } from 'fastify';
import { assetEtag } from '../../domain/asset-etag.js';
import { ASSET_SORTS, DEFAULT_SORT, isAssetSort } from '../../domain/asset-sort.js';
import { nextAssetCursor, parseAssetCursor } from '../asset-cursor.js';
import { isRangeCapable } from '../../domain/derived-kinds.js';
import { CoreError, notFound, validationFailed } from '../../errors/core-error.js';
import type { CoreContext } from '../../server/core-context.js';
import { absoluteDerivedPath, assertUuid } from '../../uploads/upload-paths.js';
import { resolveActor } from '../request-actor.js';
import { wireDerived, wireDetail, wireSummary } from '../wire-views.js';
import { parseRange } from '../byte-range.js';

type UuidParams = { Params: { uuid: string } };

export function registerAssetRoutes(api: FastifyInstance, ctx: CoreContext): void {
  const loadAsset = async (uuid: string) => {
    assertUuid(uuid, 'uuid');
    const asset = await ctx.store.getAsset(uuid);
    if (!asset) throw notFound('asset', uuid);
    return asset;
  };

  api.get<{
    Querystring: {
      q?: string;
      state?: string;
      media_type?: string;
      limit?: string;
      cursor?: string;
      sort?: string;
    };
  }>('/assets', async (request, reply) => {
    await resolveActor(ctx, request);
    const { q, state, media_type, sort } = request.query;
    if (sort !== undefined && !isAssetSort(sort)) {
      throw validationFailed(`sort must be one of ${ASSET_SORTS.join(', ')}`);
    }
    const states = state ? [...new Set(state.split(','))] : undefined;
    if (states?.some((s) => !ASSET_STATES.includes(s as AssetState))) {
      throw validationFailed(`state must be among ${ASSET_STATES.join(', ')}`);
    }
    if (media_type && !MEDIA_TYPES.includes(media_type as MediaType)) {
      throw validationFailed('media_type must be VIDEO, PHOTO or AUDIO');
    }
    const limit = Math.min(Math.max(Number(request.query.limit ?? 50) || 50, 1), 500);
    const order = sort ?? DEFAULT_SORT;
    const position = parseAssetCursor(request.query.cursor, order);
    const assets = await ctx.store.listAssets({
      q: q?.slice(0, 200),
      states: states as AssetState[] | undefined,
      mediaType: media_type as MediaType | undefined,
      sort: order,
      limit: limit + 1,
      ...position,
    });
    const page = assets.slice(0, limit);
    const derived = await ctx.store.listDerivedOf(page.map((a) => a.uuid));
    const items = page.map((a) => wireSummary(a, derived.get(a.uuid) ?? []));
    void reply.header('cache-control', 'private, no-store');
    return { items, next_cursor: nextAssetCursor(order, page, assets.length > limit) };
  });

  api.get<UuidParams>('/assets/:uuid', async (request, reply) => {
    await resolveActor(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    const files = await ctx.store.listDerived(asset.uuid);
    void reply
      .header('etag', assetEtag(asset.uuid, asset.revision))
      .header('cache-control', 'private, no-store');
    return wireDetail(
      asset,
      files,
      ctx.options.storageId,
      await ctx.store.listAssetJobs(asset.uuid),
      await ctx.store.listDecisionHistory(asset.uuid),
    );
  });

  api.get<UuidParams>('/assets/:uuid/derived', async (request, reply) => {
    await resolveActor(ctx, request);
    const asset = await loadAsset(request.params.uuid);
    void reply.header('cache-control', 'private, no-store');
    return wireDerived(asset.uuid, await ctx.store.listDerived(asset.uuid));
  });

  // Thumbs are addressed one by one with ?index=N (0-based, in the order of the last submit).
  api.get<{ Params: { uuid: string; kind: string }; Querystring: { index?: string } }>(
    '/assets/:uuid/derived/:kind',
    async (request, reply) => {
      await resolveActor(ctx, request);
      const kind = request.params.kind as DerivedKind;
      if (!DERIVED_KINDS.includes(kind))
        throw validationFailed(`unknown derived kind ${JSON.stringify(request.params.kind)}`);
      const asset = await loadAsset(request.params.uuid);
      const index = request.query.index === undefined ? 0 : Number(request.query.index);
      if (!Number.isInteger(index) || index < 0)
        throw validationFailed('index must be a non-negative integer');
      const file = (await ctx.store.listDerived(asset.uuid)).find(
        (f) => f.kind === kind && f.idx === index,
      );
      if (!file) throw notFound(`${kind} of asset`, asset.uuid);
      const abs = absoluteDerivedPath(ctx.options.storageRoot, file.relative_path);
      const size = (await stat(abs).catch(() => undefined))?.size;
      if (size === undefined)
        throw new CoreError(
          'TEMPORARY_UNAVAILABLE',
          503,
          'derived file is being published; retry',
          true,
        );
      void reply
        .header('content-type', file.content_type)
        .header('cache-control', 'private, no-store');
      if (!isRangeCapable(kind)) {
        void reply.header('content-length', size);
        return reply.send(createReadStream(abs));
      }
      void reply.header('accept-ranges', 'bytes');
      const rangeHeader = request.headers.range;
      if (!rangeHeader) {
        void reply.header('content-length', size);
        return reply.send(createReadStream(abs));
      }
      const range = parseRange(rangeHeader, size);
      if (!range) {
        void reply.status(416).header('content-range', `bytes */${size}`);
        return reply.send();
      }
      void reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', range.end - range.start + 1);
      return reply.send(createReadStream(abs, { start: range.start, end: range.end }));
    },
  );
}
