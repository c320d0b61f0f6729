// Streams a large file to disk with progress, resumes an interrupted download from its `.part`
// file with an HTTP Range request, and verifies the SHA-256 before the atomic rename into place.
// Models are hundreds of MB on laptops with flaky Wi-Fi: restarting from zero is not acceptable.
// got is the package's one HTTP client (as for Core); a download is one attempt, retried by the
// caller, which resumes from the `.part`.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import got, { type Response } from 'got';

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes?: number;
  /** 0..100 when the total is known. */
  percent?: number;
  resumedFromBytes: number;
}

export interface DownloadOptions {
  url: string;
  /** Lower-case hex SHA-256 the complete file must have. */
  sha256: string;
  /** Final path; the partial data lives in `${destPath}.part` meanwhile. */
  destPath: string;
  expectedSizeBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Called on the complete file before the rename; throw to refuse it (e.g. header check). */
  validate?: (partPath: string) => Promise<void>;
}

export type DownloadErrorCode =
  'DOWNLOAD_FAILED' | 'DOWNLOAD_ABORTED' | 'CHECKSUM_MISMATCH' | 'MODEL_INVALID';

export class ModelDownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelDownloadError';
  }
}

async function hashExisting(path: string, hash: Hash): Promise<number> {
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return size;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Parses `bytes start-end/total`; undefined when absent or malformed. */
function parseContentRange(
  value: string | undefined,
): { start: number; total?: number } | undefined {
  const m = value ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(value.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), ...(m[2] !== '*' ? { total: Number(m[2]) } : {}) };
}

/**
 * Downloads `url` to `destPath`. Keeps the `.part` on abort or network failure (so the next call
 * resumes), deletes it on checksum mismatch (the data is wrong, resuming would not help).
 */
export async function downloadVerifiedFile(opts: DownloadOptions): Promise<{ sizeBytes: number }> {
  const partPath = `${opts.destPath}.part`;
  const expected = opts.sha256.toLowerCase();
  const abortError = () =>
    new ModelDownloadError(
      'DOWNLOAD_ABORTED',
      `download of ${opts.url} aborted (partial data kept)`,
      true,
    );

  let hash = createHash('sha256');
  let offset = await sizeOf(partPath);
  if (opts.expectedSizeBytes !== undefined && offset > opts.expectedSizeBytes) {
    await rm(partPath, { force: true });
    offset = 0;
  }
  if (offset > 0) await hashExisting(partPath, hash);
  const resumedFromBytes = offset;

  const body = got.stream(opts.url, {
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    followRedirect: true,
    throwHttpErrors: false,
    retry: { limit: 0 },
    decompress: false, // Range offsets count the bytes on disk
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const cancel = () => body.destroy();
  let res: Response;
  try {
    res = await new Promise<Response>((resolve, reject) => {
      body.once('response', resolve);
      body.once('error', reject);
    });
  } catch (err) {
    if (opts.signal?.aborted) throw abortError();
    throw new ModelDownloadError(
      'DOWNLOAD_FAILED',
      `cannot reach ${opts.url} (${(err as Error).message}). Without internet access here, download the file on another machine, copy it over and run "retaia-agent models add PATH"`,
      true,
      {
        cause: err,
      },
    );
  }

  let total: number | undefined;
  const status = res.statusCode;
  if (offset > 0 && status === 416) {
    // Nothing left to fetch: the part may already be complete; the checksum below decides.
    cancel();
    total = offset;
  } else if (offset > 0 && status === 206) {
    const range = parseContentRange(res.headers['content-range']);
    if (!range || range.start !== offset) {
      cancel();
      await rm(partPath, { force: true });
      throw new ModelDownloadError(
        'DOWNLOAD_FAILED',
        `server answered an unexpected range (${res.headers['content-range']}); partial data discarded, retry`,
        true,
      );
    }
    total = range.total;
  } else if (status === 200) {
    // Fresh start, or the server ignores Range: start over from byte 0.
    if (offset > 0) {
      hash = createHash('sha256');
      offset = 0;
    }
    const len = Number(res.headers['content-length']);
    total = Number.isFinite(len) && len > 0 ? len : undefined;
  } else {
    cancel();
    throw new ModelDownloadError(
      'DOWNLOAD_FAILED',
      `download of ${opts.url} failed: HTTP ${status}`,
      status >= 500 || status === 429 || status === 408,
    );
  }
  total ??= opts.expectedSizeBytes;

  let received = offset;
  const report = () => {
    opts.onProgress?.({
      receivedBytes: received,
      ...(total ? { totalBytes: total, percent: Math.min(100, (received / total) * 100) } : {}),
      resumedFromBytes,
    });
  };
  report();

  if (status !== 416) {
    const file = await open(partPath, offset > 0 ? 'a' : 'w');
    try {
      let lastReport = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        await file.write(chunk);
        received += chunk.length;
        const now = Date.now();
        if (now - lastReport >= 200) {
          lastReport = now;
          report();
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) throw abortError();
      throw new ModelDownloadError(
        'DOWNLOAD_FAILED',
        `download of ${opts.url} interrupted at ${received} bytes (will resume): ${(err as Error).message}`,
        true,
        { cause: err },
      );
    } finally {
      cancel();
      await file.close();
    }
    report();
  }

  const actual = hash.digest('hex');
  if (actual !== expected) {
    await rm(partPath, { force: true });
    throw new ModelDownloadError(
      'CHECKSUM_MISMATCH',
      `downloaded file from ${opts.url} has SHA-256 ${actual}, expected ${expected}; it was deleted`,
      true,
    );
  }
  if (opts.validate) {
    try {
      await opts.validate(partPath);
    } catch (err) {
      await rm(partPath, { force: true });
      throw new ModelDownloadError('MODEL_INVALID', (err as Error).message, false, { cause: err });
    }
  }
  await rename(partPath, opts.destPath);
  return { sizeBytes: received };
}
