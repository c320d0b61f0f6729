// Checks a configured storage mount and resolves job sources inside it (docs/protocol.md#storage-mounts-and-the-retaia-marker): the path must
// stay inside the mount even after symlinks, and sources are only ever opened read-only.
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { relativePathProblem, type AssetPaths } from '@retaia/protocol';
import type { MountValidation } from '../runtime/control-protocol.js';
import {
  allowedSourceRoots,
  readRetaiaMarker,
  MarkerError,
  type RetaiaMarker,
} from './retaia-marker.js';

/** Why a source cannot be used; `retryable` follows docs/protocol.md#the-agent-loop (agent-side trouble = true). */
export class SourceResolutionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SourceResolutionError';
  }
}

/** Validates one mount: absolute, an existing directory, with a valid marker naming `storageId`. */
export async function validateMount(storageId: string, path: string): Promise<MountValidation> {
  const fail = (problem: string, marker?: RetaiaMarker): MountValidation => ({
    ok: false,
    storageId,
    path,
    ...(marker ? { marker } : {}),
    problem,
  });
  if (!isAbsolute(path))
    return fail(`"${path}" is not an absolute path: give the full path of the mounted share`);
  try {
    const st = await stat(path);
    if (!st.isDirectory())
      return fail(`${path} is not a directory: give the folder where the share is mounted`);
  } catch {
    return fail(
      `${path} does not exist or is not reachable: mount the share (or fix the path) and try again`,
    );
  }
  let marker: RetaiaMarker;
  try {
    marker = await readRetaiaMarker(path);
  } catch (err) {
    return fail(err instanceof MarkerError ? err.message : String(err));
  }
  if (marker.storage_id !== storageId) {
    return fail(
      `the marker in ${path} names storage "${marker.storage_id}", not "${storageId}": map "${marker.storage_id}" to this path, or mount the share of "${storageId}" here`,
      marker,
    );
  }
  return { ok: true, storageId, path, marker };
}

export interface ResolvedSource {
  sourcePath: string;
  sidecarPaths: string[];
  /** Sidecars Core listed that are missing locally (reported, not fatal). */
  missingSidecars: string[];
  marker: RetaiaMarker;
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function resolveInsideMount(
  mountReal: string,
  relativePath: string,
  roots: string[],
): Promise<string> {
  const problem = relativePathProblem(relativePath);
  if (problem) {
    throw new SourceResolutionError(
      'UNSAFE_SOURCE_PATH',
      `refusing source path ${JSON.stringify(relativePath)}: ${problem}; Core must send a path relative to the storage root`,
      false,
    );
  }
  const first = relativePath.split(/[\\/]/)[0];
  if (!roots.includes(first ?? '')) {
    throw new SourceResolutionError(
      'SOURCE_OUTSIDE_MARKER_PATHS',
      `refusing source ${JSON.stringify(relativePath)}: the storage marker only allows media under ${roots.join(', ')}`,
      false,
    );
  }
  let real: string;
  try {
    real = await realpath(join(mountReal, relativePath));
  } catch {
    throw new SourceResolutionError(
      'SOURCE_NOT_FOUND',
      `source ${relativePath} is missing under ${mountReal}: the file was moved or deleted, or the share is not fully mounted`,
      false,
    );
  }
  if (!isInside(mountReal, real)) {
    throw new SourceResolutionError(
      'UNSAFE_SOURCE_PATH',
      `refusing source ${relativePath}: it resolves (through a symlink) to ${real}, outside the mount ${mountReal}`,
      false,
    );
  }
  // Core never hands out a link (it skips them at discovery), so a link here was swapped in
  // since: reading its target would publish another file's pictures under this asset.
  if (comparablePath(real) !== comparablePath(join(mountReal, relativePath))) {
    throw new SourceResolutionError(
      'UNSAFE_SOURCE_PATH',
      `refusing source ${relativePath}: it is (or passes through) a symlink to ${real}; Core sends real files only, so it was replaced after discovery`,
      false,
    );
  }
  return real;
}

/** Same file name as the share presents it: NFC (macOS mounts may answer in NFD), case on
 * case-insensitive systems. */
function comparablePath(p: string): string {
  const nfc = p.normalize('NFC');
  return process.platform === 'darwin' || process.platform === 'win32' ? nfc.toLowerCase() : nfc;
}

/** Opens the file read-only once to prove it is a readable regular file, then closes it. */
async function assertReadableFile(path: string, relativePath: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY);
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new SourceResolutionError(
        'SOURCE_NOT_A_FILE',
        `source ${relativePath} is not a regular file`,
        false,
      );
    }
  } catch (err) {
    if (err instanceof SourceResolutionError) throw err;
    throw new SourceResolutionError(
      'SOURCE_UNREADABLE',
      `cannot open source ${relativePath} read-only (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the share's permissions for this user`,
      false,
    );
  } finally {
    await handle?.close();
  }
}

/** Resolves a job's source against the configured mounts. Throws SourceResolutionError. */
export async function resolveSourcePath(
  mounts: Readonly<Record<string, string>>,
  source: AssetPaths,
): Promise<ResolvedSource> {
  const mountPath = mounts[source.storage_id];
  if (!mountPath) {
    throw new SourceResolutionError(
      'MOUNT_NOT_CONFIGURED',
      `no local mount for storage "${source.storage_id}": add it with "retaia-agent config set storage_mounts.${source.storage_id} /path/to/share"`,
      true,
    );
  }
  const mount = await validateMount(source.storage_id, mountPath);
  if (!mount.ok || !mount.marker) {
    const mismatch = mount.marker !== undefined;
    throw new SourceResolutionError(
      mismatch ? 'STORAGE_ID_MISMATCH' : 'MOUNT_INVALID',
      `storage "${source.storage_id}": ${mount.problem ?? 'invalid mount'}`,
      true,
    );
  }
  const mountReal = await realpath(mountPath);
  const roots = allowedSourceRoots(mount.marker);
  const sourcePath = await resolveInsideMount(mountReal, source.original_relative, roots);
  await assertReadableFile(sourcePath, source.original_relative);
  const sidecarPaths: string[] = [];
  const missingSidecars: string[] = [];
  for (const sidecar of source.sidecars_relative ?? []) {
    try {
      sidecarPaths.push(await resolveInsideMount(mountReal, sidecar, roots));
    } catch (err) {
      if (err instanceof SourceResolutionError && err.code === 'SOURCE_NOT_FOUND')
        missingSidecars.push(sidecar);
      else throw err;
    }
  }
  return { sourcePath, sidecarPaths, missingSidecars, marker: mount.marker };
}
