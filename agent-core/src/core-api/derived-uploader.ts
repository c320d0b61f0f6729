// Chunked upload of one derived file (docs/protocol.md#job-types-and-outputs): read the asset ETag, init (If-Match +
// Idempotency-Key), send parts as multipart forms streamed from disk, complete. The file is
// hashed once; a part is hashed (for its signature) and then streamed, so memory stays flat
// whatever the file size. A 412 means the asset changed revision: re-read the ETag and retry.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { DerivedKind, DerivedManifestEntry } from '@retaia/protocol';
import { CoreApiError } from './core-api-errors.js';
import type { CoreClient, StreamBody } from './core-client.js';

export interface DerivedUploadInput {
  assetUuid: string;
  kind: DerivedKind;
  contentType: string;
  path: string;
}

export async function sha256OfFile(path: string, start = 0, end?: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, {
    start,
    ...(end !== undefined ? { end } : {}),
  })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** A multipart/form-data body with `upload_id`, `part_number` and one file field `chunk`. */
async function multipartPart(
  path: string,
  uploadId: string,
  partNumber: number,
  start: number,
  length: number,
): Promise<StreamBody> {
  const boundary = `----retaia${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('upload_id', uploadId) +
      field('part_number', String(partNumber)) +
      `--${boundary}\r\nContent-Disposition: form-data; name="chunk"; filename="part-${partNumber}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  const end = start + length - 1;
  const hash = createHash('sha256').update(head);
  if (length > 0) {
    for await (const chunk of createReadStream(path, { start, end })) hash.update(chunk as Buffer);
  }
  hash.update(tail);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + length + tail.length,
    sha256: hash.digest('hex'),
    open(): Readable {
      const out = new PassThrough();
      out.write(head);
      if (length === 0) {
        out.end(tail);
        return out;
      }
      const file = createReadStream(path, { start, end });
      file.on('error', (err) => out.destroy(err));
      file.on('end', () => out.end(tail));
      file.pipe(out, { end: false });
      return out;
    },
  };
}

async function withFreshEtag<T>(
  client: CoreClient,
  assetUuid: string,
  state: { etag: string },
  signal: AbortSignal | undefined,
  fn: (etag: string) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(state.etag);
    } catch (err) {
      if (err instanceof CoreApiError && err.status === 412 && attempt < 3) {
        state.etag = (await client.getAsset(assetUuid, signal)).etag;
        continue;
      }
      throw err;
    }
  }
}

/** Uploads one file and returns its manifest entry (`ref` = upload_id, docs/protocol.md#job-types-and-outputs decision). */
export async function uploadDerivedFile(
  client: CoreClient,
  input: DerivedUploadInput,
  signal?: AbortSignal,
): Promise<DerivedManifestEntry> {
  const { size } = await stat(input.path);
  const sha256 = await sha256OfFile(input.path);
  const state = { etag: (await client.getAsset(input.assetUuid, signal)).etag };
  const initKey = randomUUID();
  const init = await withFreshEtag(client, input.assetUuid, state, signal, (etag) =>
    client.uploadInit(
      input.assetUuid,
      { kind: input.kind, content_type: input.contentType, size_bytes: size, sha256 },
      etag,
      initKey,
      signal,
    ),
  );
  const partSize = Math.max(1, init.max_part_size_bytes);
  const parts: { part_number: number; part_etag: string }[] = [];
  const partCount = Math.max(1, Math.ceil(size / partSize));
  for (let i = 0; i < partCount; i++) {
    const start = i * partSize;
    const length = Math.min(partSize, size - start);
    const body = await multipartPart(input.path, init.upload_id, i + 1, start, length);
    const res = await withFreshEtag(client, input.assetUuid, state, signal, (etag) =>
      client.uploadPart(input.assetUuid, body, etag, signal),
    );
    parts.push({ part_number: i + 1, part_etag: res.part_etag });
  }
  const completeKey = randomUUID();
  await withFreshEtag(client, input.assetUuid, state, signal, (etag) =>
    client.uploadComplete(
      input.assetUuid,
      { upload_id: init.upload_id, parts },
      etag,
      completeKey,
      signal,
    ),
  );
  return { kind: input.kind, ref: init.upload_id, size_bytes: size, sha256 };
}
