// The `.retaia` marker at the storage root (SPEC §4). Core owns it: written atomically
// (temp file + rename) at start; an existing marker for another storage id, or one that is not
// valid JSON, stops the server with an explicit message instead of being overwritten.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const MARKER_FILE = '.retaia';
export const STORAGE_DIRS = { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' } as const;
export const DERIVED_DIR = '.derived';

const markerSchema = z.object({
  version: z.number().int().min(1),
  storage_id: z.string().min(1),
  paths: z.record(z.string(), z.string()).optional(),
});

export class StorageRootError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'StorageRootError';
  }
}

export async function prepareStorageRoot(root: string, storageId: string): Promise<void> {
  if (!path.isAbsolute(root)) throw new StorageRootError(`storage root must be absolute: ${root}`);
  await mkdir(root, { recursive: true });
  const markerPath = path.join(root, MARKER_FILE);
  let existing: string | undefined;
  try {
    existing = await readFile(markerPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(existing);
    } catch {
      throw new StorageRootError(
        `${markerPath} is not valid JSON; fix or remove it before starting core-server (it is not overwritten automatically)`,
      );
    }
    const marker = markerSchema.safeParse(parsed);
    if (!marker.success) {
      throw new StorageRootError(
        `${markerPath} is not a valid storage marker (${marker.error.issues[0]?.message}); fix or remove it`,
      );
    }
    if (marker.data.storage_id !== storageId) {
      throw new StorageRootError(
        `${root} belongs to storage "${marker.data.storage_id}", not "${storageId}": start with --storage-id ${marker.data.storage_id} or pick another storage root`,
      );
    }
  }
  for (const dir of [...Object.values(STORAGE_DIRS), DERIVED_DIR]) {
    await mkdir(path.join(root, dir), { recursive: true });
  }
  const content = `${JSON.stringify({ version: 2, storage_id: storageId, paths: STORAGE_DIRS })}\n`;
  const tmp = `${markerPath}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, markerPath);
}
