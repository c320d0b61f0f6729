// The `.retaia` marker at the storage root. Core owns it: written atomically (temp file + rename)
// at start; an existing marker for another storage id, or one that is not valid JSON, stops the
// server with an explicit message instead of being overwritten.
//
// Core never creates a storage root, or turns a folder into one, unless asked (`--init-storage`,
// `initStorage`): a NAS volume that is not mounted leaves an empty mount point (or nothing), and
// "helpfully" creating INBOX/ARCHIVE/… there would fill the system disk with what the volume
// should hold. A missing root, or one without marker, stops the server and says what to do
// (docs/storage-safety.md).
import { readFileSync } from 'node:fs';
import { lstat, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
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

async function readMarkerText(markerPath: string): Promise<string | undefined> {
  try {
    return await readFile(markerPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The storage id in `root`'s marker, or undefined when there is no marker. Throws on a bad one. */
export async function readStorageId(root: string): Promise<string | undefined> {
  const markerPath = path.join(root, MARKER_FILE);
  const existing = await readMarkerText(markerPath);
  if (existing === undefined) return undefined;
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
  return marker.data.storage_id;
}

/**
 * The storage id of an existing marker, read synchronously for the CLI's defaults; undefined when
 * there is no readable, valid marker (start-up then says exactly what is wrong).
 */
export function storageIdFromMarkerSync(root: string): string | undefined {
  try {
    const marker = markerSchema.safeParse(
      JSON.parse(readFileSync(path.join(root, MARKER_FILE), 'utf8')),
    );
    return marker.success ? marker.data.storage_id : undefined;
  } catch {
    return undefined;
  }
}

async function assertRootFolder(root: string, init: boolean): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (init) return mkdir(root, { recursive: true }).then(() => undefined);
    throw new StorageRootError(
      `storage root ${root} does not exist. If it is a NAS volume or an external disk, mount it and start again (Core never creates a missing storage root, so an unmounted volume cannot fill the system disk). To start a new, empty library there, add --init-storage.`,
    );
  }
  if (!isDir) throw new StorageRootError(`storage root ${root} is not a folder`);
}

export interface PrepareStorageOptions {
  /** Create the root if missing and make it a storage root if it has no marker yet. */
  init?: boolean;
}

export async function prepareStorageRoot(
  root: string,
  storageId: string,
  opts: PrepareStorageOptions = {},
): Promise<void> {
  if (!path.isAbsolute(root)) throw new StorageRootError(`storage root must be absolute: ${root}`);
  await assertRootFolder(root, opts.init === true);
  const markerPath = path.join(root, MARKER_FILE);
  const existingId = await readStorageId(root);
  if (existingId === undefined && !opts.init) {
    throw new StorageRootError(
      `${root} has no ${MARKER_FILE} marker, so it is not a Retaia storage root yet. If your library lives on a volume mounted here, check that it is mounted (an empty mount point looks like this). To make this folder a new storage root (creates INBOX/, ARCHIVE/, REJECTS/, .derived/ and ${MARKER_FILE}), add --init-storage.`,
    );
  }
  if (existingId !== undefined && existingId !== storageId) {
    throw new StorageRootError(
      `${root} belongs to storage "${existingId}", not "${storageId}": start with --storage-id ${existingId} or pick another storage root`,
    );
  }
  for (const dir of [...Object.values(STORAGE_DIRS), DERIVED_DIR]) {
    const abs = path.join(root, dir);
    await mkdir(abs, { recursive: true });
    // Moves never go through links (docs/storage-safety.md): say so at start, not at apply time.
    if (!(await lstat(abs)).isDirectory()) {
      throw new StorageRootError(
        `${abs} is a symbolic link or not a folder; INBOX, ARCHIVE, REJECTS and .derived must be real folders of the storage root (to use another disk, make that disk the storage root)`,
      );
    }
  }
  const content = `${JSON.stringify({ version: 2, storage_id: storageId, paths: STORAGE_DIRS })}\n`;
  const tmp = `${markerPath}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, markerPath);
}
