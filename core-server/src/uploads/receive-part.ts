// Streams one multipart upload part to disk while hashing the exact raw request bytes (the
// signature covers them). Nothing is held in memory beyond stream buffers; the chunk lands in a
// temp file the caller renames once the signature and the upload are checked.
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

export async function receivePart(
  raw: Readable,
  headers: IncomingHttpHeaders,
  tmpDir: string,
  maxPartSize: number,
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
  let strayFile = false;
  let fileDone: Promise<void> = Promise.resolve();

  const busboy = new Busboy({
    headers: headers as { 'content-type': string },
    limits: { fileSize: maxPartSize, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
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
    stream.on('limit', () => {
      tooBig = true;
    });
    fileDone = pipeline(
      stream,
      new Transform({
        transform(data: Buffer, _enc, cb) {
          size += data.length;
          chunkHash.update(data);
          cb(null, data);
        },
      }),
      createWriteStream(tmpFile),
    );
  });
  const hashing = new Transform({
    transform(data: Buffer, _enc, cb) {
      bodyHash.update(data);
      cb(null, data);
    },
  });
  try {
    await pipeline(raw, hashing, busboy);
    await fileDone;
  } catch (err) {
    await rm(tmpFile, { force: true });
    throw validationFailed(`malformed multipart body: ${(err as Error).message}`);
  }
  const fail = async (e: CoreError) => {
    await rm(tmpFile, { force: true });
    throw e;
  };
  if (tooBig)
    await fail(new CoreError('VALIDATION_FAILED', 413, `chunk exceeds ${maxPartSize} bytes`));
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
