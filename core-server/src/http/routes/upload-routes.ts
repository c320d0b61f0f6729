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
import { CoreError, notFound, unauthorized, validationFailed } from '../../errors/core-error.js';
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

/** `part_number` exactly as the contract's integer: digits only, 1..10000 (no "1e3", " 2", "1.0"). */
function parsePartNumber(value: string | undefined): number {
  if (value === undefined || !/^[1-9][0-9]{0,4}$/.test(value) || Number(value) > 10_000) {
    throw validationFailed('part_number must be a whole number from 1 to 10000', {
      part_number: value ?? null,
    });
  }
  return Number(value);
}

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

  /** Staging space is the NAS's: one agent holds a bounded number of open uploads and bytes. */
  const requireUploadQuota = async (agentId: string, sizeBytes: number) => {
    const o = ctx.options;
    const usage = await ctx.store.agentUploadUsage(agentId, ctx.clock());
    const problem =
      usage.open_uploads >= o.maxOpenUploadsPerAgent
        ? `${usage.open_uploads} unpublished uploads (at most ${o.maxOpenUploadsPerAgent})`
        : usage.declared_bytes + sizeBytes > o.maxStagedBytesPerAgent
          ? `${usage.declared_bytes} bytes already declared in unpublished uploads; ${sizeBytes} more would pass the ${o.maxStagedBytesPerAgent}-byte limit`
          : undefined;
    if (problem) {
      throw new CoreError(
        'TOO_MANY_ATTEMPTS',
        429,
        `agent ${agentId} has ${problem}; submit or abandon uploads first (open uploads expire after ${o.uploadTtlSeconds} s, completed ones after 24 h)`,
        true,
        { open_uploads: usage.open_uploads, declared_bytes: usage.declared_bytes },
        { 'retry-after': String(Math.min(o.uploadTtlSeconds, 60)) },
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
      await requireUploadQuota(agent.agent_id, body.size_bytes);
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

  /** Bytes this part may hold: what the declared size leaves after the upload's other parts. */
  const roomForPart = async (upload: UploadRecord, partNumber: number): Promise<number> => {
    const others = (await ctx.store.listUploadParts(upload.upload_id))
      .filter((p) => p.part_number !== partNumber)
      .reduce((sum, p) => sum + p.size_bytes, 0);
    const room = Math.min(upload.size_bytes - others, ctx.options.maxPartSizeBytes);
    if (room <= 0) {
      throw new CoreError(
        'VALIDATION_FAILED',
        413,
        `upload ${upload.upload_id} already holds its declared ${upload.size_bytes} bytes`,
        false,
        { size_bytes: upload.size_bytes, received_bytes: others },
      );
    }
    return room;
  };
  // Parts of one upload are checked and stored one at a time, so two concurrent parts cannot
  // both fit into the same remaining room.
  const serialByUpload = new Map<string, Promise<unknown>>();
  const serially = <T>(uploadId: string, fn: () => Promise<T>): Promise<T> => {
    const run = (serialByUpload.get(uploadId) ?? Promise.resolve()).then(fn, fn);
    const settled = run.catch(() => undefined);
    serialByUpload.set(uploadId, settled);
    void settled.then(() => {
      if (serialByUpload.get(uploadId) === settled) serialByUpload.delete(uploadId);
    });
    return run;
  };

  api.post<UuidParams>(
    '/assets/:uuid/derived/upload/part',
    async (request: FastifyRequest<UuidParams>) => {
      const client = await requireClient(ctx, request);
      const uuid = assertUuid(request.params.uuid, 'uuid');
      const claimedAgent = request.headers['x-retaia-agent-id'];
      // Checked before any byte is stored: the fields sent ahead of the chunk name an open
      // upload of this asset that belongs to the (claimed) agent of this bearer and has room.
      // The signature, which covers the whole body, is verified once the body has arrived.
      const part = await receivePart(
        request.raw,
        request.headers,
        path.join(root, DERIVED_DIR, '.uploads'),
        ctx.options.maxPartSizeBytes,
        async (fields) => {
          if (fields.upload_id === undefined || fields.part_number === undefined) {
            throw validationFailed('send the upload_id and part_number fields before the chunk');
          }
          const agent =
            typeof claimedAgent === 'string'
              ? await ctx.store.getAgent(claimedAgent, request)
              : undefined;
          if (!agent || agent.client_id !== client.client_id) {
            throw unauthorized(
              'request signature rejected: agent is not registered to this client',
            );
          }
          const upload = await loadUpload(uuid, fields.upload_id, agent.agent_id);
          return roomForPart(upload, parsePartNumber(fields.part_number));
        },
      );
      try {
        const signed = await verifySignedRequest(
          ctx,
          request,
          client.client_id,
          part.rawBodySha256,
        );
        const partNumber = parsePartNumber(part.fields.part_number);
        return await serially(part.fields.upload_id!, async () => {
          const upload = await loadUpload(uuid, part.fields.upload_id!, signed.agentId);
          if (part.size > (await roomForPart(upload, partNumber))) {
            throw new CoreError('VALIDATION_FAILED', 413, 'part does not fit in the declared size');
          }
          await rename(part.tmpFile, partPath(root, upload.upload_id, partNumber));
          await ctx.store.saveUploadPart({
            upload_id: upload.upload_id,
            part_number: partNumber,
            size_bytes: part.size,
            part_etag: part.chunkSha256,
          });
          return { part_etag: part.chunkSha256 };
        });
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
