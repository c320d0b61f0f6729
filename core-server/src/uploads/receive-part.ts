// Streams one multipart upload part to disk while hashing the exact raw request bytes (the
// signature covers them). Nothing is held in memory beyond stream buffers; the chunk lands in a
// temp file the caller renames once the signature is verified (and deletes otherwise).
//
// Before the first chunk byte is written, `admitChunk` sees the fields sent ahead of the file
// (upload_id, part_number) and returns how many bytes this part may hold — the upload must
// exist, belong to the caller and have room left; a refusal writes nothing. The whole body is
// capped too: past the limit plus multipart overhead the request is cut, not drained forever.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy } from '@fastify/busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { CoreError, validationFailed } from '../errors/core-error.js';

export interface ReceivedPart {
  fields: Record<string, string>;
  tmpFile: string;
  size: number;
  chunkSha256: string;
  rawBodySha256: string;
}

/** Multipart framing and the two small fields around one chunk never need more than this. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export type AdmitChunk = (fields: Record<string, string>) => Promise<number>;

export async function receivePart(
  raw: Readable,
  headers: IncomingHttpHeaders,
  tmpDir: string,
  maxPartSize: number,
  admitChunk: AdmitChunk,
): Promise<ReceivedPart> {
  if (!String(headers['content-type'] ?? '').startsWith('multipart/form-data')) {
    throw validationFailed('upload parts are multipart/form-data');
  }
  await mkdir(tmpDir, { recursive: true });
  const tmpFile = path.join(tmpDir, `.incoming-${randomUUID()}`);
  const bodyHash = createHash('sha256');
  const chunkHash = createHash('sha256');
  const fields: Record<string, string> = {};
  let size = 0;
  let files = 0;
  let tooBig = false;
  let chunkLimit = maxPartSize;
  let refused: unknown;
  let strayFile = false;
  let rawBytes = 0;
  let fileDone: Promise<void> = Promise.resolve();

  const busboy = new Busboy({
    headers: headers as { 'content-type': string },
    limits: { fileSize: maxPartSize + 1, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
  });
  // Busboy drops files beyond `limits.files` silently; a second file is still a bad request.
  busboy.on('filesLimit', () => {
    files++;
  });
  busboy.on('field', (name: string, value: string) => {
    fields[name] = value;
  });
  busboy.on('file', (name: string, stream: Readable) => {
    files++;
    if (name !== 'chunk' || files > 1) {
      strayFile = true;
      stream.resume();
      return;
    }
    const admitted = admitChunk({ ...fields }).then(
      (limit) => void (chunkLimit = Math.min(limit, maxPartSize)),
      (err: unknown) => void (refused = err),
    );
    fileDone = pipeline(
      stream,
      new Transform({
        transform(data: Buffer, _enc, cb) {
          void admitted.then(() => {
            // Refused or over the limit: the rest is discarded, nothing more reaches the disk.
            if (refused !== undefined || tooBig) return cb();
            size += data.length;
            if (size > chunkLimit) {
              tooBig = true;
              return cb();
            }
            chunkHash.update(data);
            cb(null, data);
          });
        },
      }),
      createWriteStream(tmpFile),
    );
  });
  const hashing = new Transform({
    transform(data: Buffer, _enc, cb) {
      rawBytes += data.length;
      if (rawBytes > maxPartSize + MULTIPART_OVERHEAD_BYTES) {
        return cb(
          new CoreError('VALIDATION_FAILED', 413, `part body exceeds ${maxPartSize} bytes`),
        );
      }
      bodyHash.update(data);
      cb(null, data);
    },
  });
  try {
    await pipeline(raw, hashing, busboy);
    await fileDone;
  } catch (err) {
    await rm(tmpFile, { force: true });
    if (err instanceof CoreError) throw err;
    throw validationFailed(`malformed multipart body: ${(err as Error).message}`);
  }
  const fail = async (e: CoreError) => {
    await rm(tmpFile, { force: true });
    throw e;
  };
  if (refused !== undefined) await fail(refused as CoreError);
  if (tooBig) {
    await fail(
      new CoreError(
        'VALIDATION_FAILED',
        413,
        `chunk exceeds the ${chunkLimit} bytes this part may hold`,
        false,
        {
          max_part_bytes: chunkLimit,
        },
      ),
    );
  }
  if (files !== 1 || strayFile)
    await fail(validationFailed('exactly one file field named "chunk" is required'));
  return {
    fields,
    tmpFile,
    size,
    chunkSha256: chunkHash.digest('hex'),
    rawBodySha256: bodyHash.digest('hex'),
  };
}
