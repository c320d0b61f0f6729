// Derived upload: init (If-Match + Idempotency-Key), streamed multipart parts, complete with
// size/sha256 verification. Completed uploads are published only when a submit references them.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DERIVED_KINDS } from '@retaia/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { verifySignedRequest } from '../../auth/signed-request.js';
import { assetEtag } from '../../domain/asset-etag.js';
import { CONTENT_TYPES } from '../../domain/derived-kinds.js';
import { CoreError, notFound, validationFailed } from '../../errors/core-error.js';
import type { CoreContext } from '../../server/core-context.js';
import type { UploadRecord } from '../../store/records.js';
import { DERIVED_DIR } from '../../storage/storage-marker.js';
import { assembleParts } from '../../uploads/assemble-upload.js';
import { assembledPath, assertUuid, partPath, uploadDir } from '../../uploads/upload-paths.js';
import { receivePart } from '../../uploads/receive-part.js';
import { idempotent } from '../idempotent.js';
import { parseBody } from '../parse-body.js';
import { requireClient } from '../request-actor.js';
import { signedAgentWrite } from '../signed-agent-write.js';

type UuidParams = { Params: { uuid: string } };

const initBody = z
  .object({
    kind: z.enum(DERIVED_KINDS),
    content_type: z.string().min(1).max(100),
    size_bytes: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 ** 3),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256')
      .optional(),
  })
  .strict();
const completeBody = z
  .object({
    upload_id: z.string().min(1).max(100),
    parts: z
      .array(
        z
          .object({ part_number: z.number().int().min(1), part_etag: z.string().min(1).max(200) })
          .strict(),
      )
      .max(10_000)
      .optional(),
  })
  .strict();

export function registerUploadRoutes(api: FastifyInstance, ctx: CoreContext): void {
  const root = ctx.options.storageRoot;

  const loadUpload = async (
    assetUuid: string,
    uploadId: string,
    agentId: string,
  ): Promise<UploadRecord> => {
    const upload = await ctx.store.getUpload(assertUuid(uploadId, 'upload_id'));
    if (!upload || upload.asset_uuid !== assetUuid || upload.agent_id !== agentId)
      throw notFound('upload', uploadId);
    if (upload.status !== 'OPEN' || upload.expires_at_ms < ctx.clock()) {
      throw new CoreError(
        'STATE_CONFLICT',
        409,
        `upload ${uploadId} is ${upload.status.toLowerCase()} or expired`,
      );
    }
    return upload;
  };

  /** Only an agent holding a live lease on one of the asset's jobs may upload derived files. */
  const requireLeaseOnAsset = async (assetUuid: string, agentId: string) => {
    const jobs = await ctx.store.listAssetJobs(assetUuid);
    const now = ctx.clock();
    if (
      !jobs.some(
        (j) =>
          j.status === 'claimed' && j.claimed_by === agentId && (j.locked_until_ms ?? 0) >= now,
      )
    ) {
      throw new CoreError(
        'LOCK_REQUIRED',
        423,
        'claim a job of this asset before uploading derived files',
      );
    }
  };

  api.post<UuidParams>('/assets/:uuid/derived/upload/init', async (request, reply) => {
    const { agent, bodySha256 } = await signedAgentWrite(ctx, request);
    const uuid = assertUuid(request.params.uuid, 'uuid');
    return idempotent(ctx, request, reply, agent.agent_id, bodySha256, async () => {
      const asset = await ctx.store.getAsset(uuid);
      if (!asset) throw notFound('asset', uuid);
      const ifMatch = request.headers['if-match'];
      const etag = assetEtag(asset.uuid, asset.revision);
      if (!ifMatch)
        throw new CoreError(
          'PRECONDITION_REQUIRED',
          428,
          'If-Match with the asset ETag is required',
        );
      if (ifMatch !== etag) {
        throw new CoreError(
          'PRECONDITION_FAILED',
          412,
          'the asset changed since its ETag was read',
          false,
          {
            current_revision_etag: etag,
            current_state: asset.state,
          },
        );
      }
      const body = parseBody(initBody, request.body);
      if (!CONTENT_TYPES[body.kind].includes(body.content_type)) {
        throw validationFailed(
          `content_type of ${body.kind} must be one of ${CONTENT_TYPES[body.kind].join(', ')}`,
        );
      }
      await requireLeaseOnAsset(uuid, agent.agent_id);
      const upload: UploadRecord = {
        upload_id: randomUUID(),
        asset_uuid: uuid,
        agent_id: agent.agent_id,
        kind: body.kind,
        content_type: body.content_type,
        size_bytes: body.size_bytes,
        sha256: body.sha256 ?? null,
        status: 'OPEN',
        created_at: new Date(ctx.clock()).toISOString(),
        expires_at_ms: ctx.clock() + ctx.options.uploadTtlSeconds * 1000,
      };
      await mkdir(uploadDir(root, upload.upload_id), { recursive: true });
      await ctx.store.createUpload(upload);
      return {
        upload_id: upload.upload_id,
        max_part_size_bytes: ctx.options.maxPartSizeBytes,
        expires_at: new Date(upload.expires_at_ms).toISOString(),
      };
    });
  });

  api.post<UuidParams>(
    '/assets/:uuid/derived/upload/part',
    async (request: FastifyRequest<UuidParams>) => {
      const client = await requireClient(ctx, request);
      const uuid = assertUuid(request.params.uuid, 'uuid');
      const part = await receivePart(
        request.raw,
        request.headers,
        path.join(root, DERIVED_DIR, '.uploads'),
        ctx.options.maxPartSizeBytes,
      );
      try {
        const signed = await verifySignedRequest(
          ctx,
          request,
          client.client_id,
          part.rawBodySha256,
        );
        const uploadId = part.fields.upload_id ?? '';
        const partNumber = Number(part.fields.part_number);
        const upload = await loadUpload(uuid, uploadId, signed.agentId);
        const target = partPath(root, upload.upload_id, partNumber);
        await rename(part.tmpFile, target);
        await ctx.store.saveUploadPart({
          upload_id: upload.upload_id,
          part_number: partNumber,
          size_bytes: part.size,
          part_etag: part.chunkSha256,
        });
        return { part_etag: part.chunkSha256 };
      } finally {
        await rm(part.tmpFile, { force: true });
      }
    },
  );

  api.post<UuidParams>('/assets/:uuid/derived/upload/complete', async (request, reply) => {
    const { agent, bodySha256 } = await signedAgentWrite(ctx, request);
    const uuid = assertUuid(request.params.uuid, 'uuid');
    return idempotent(ctx, request, reply, agent.agent_id, bodySha256, async () => {
      const body = parseBody(completeBody, request.body);
      const upload = await loadUpload(uuid, body.upload_id, agent.agent_id);
      const parts = await ctx.store.listUploadParts(upload.upload_id);
      if (parts.length === 0 || parts.some((p, i) => p.part_number !== i + 1)) {
        throw validationFailed('parts must be numbered 1..n without gaps', {
          received: parts.map((p) => p.part_number),
        });
      }
      if (body.parts) {
        const same =
          body.parts.length === parts.length &&
          body.parts.every(
            (p, i) =>
              p.part_number === parts[i]!.part_number && p.part_etag === parts[i]!.part_etag,
          );
        if (!same)
          throw validationFailed('parts do not match the uploaded parts (numbers and part_etag)');
      }
      const target = assembledPath(root, upload.upload_id);
      const files = parts.map((p) => partPath(root, upload.upload_id, p.part_number));
      const { size, sha256 } = await assembleParts(files, target);
      const problem =
        size !== upload.size_bytes
          ? `size ${size} differs from the declared ${upload.size_bytes}`
          : upload.sha256 && sha256 !== upload.sha256
            ? 'sha256 differs from the declared one'
            : undefined;
      if (problem) {
        await rm(target, { force: true });
        throw validationFailed(`upload ${upload.upload_id}: ${problem}`);
      }
      for (const f of files) await rm(f, { force: true });
      await ctx.store.markUploadCompleted(upload.upload_id, sha256, ctx.clock() + 24 * 3600_000);
      return { upload_id: upload.upload_id, status: 'COMPLETED', size_bytes: size, sha256 };
    });
  });
}
