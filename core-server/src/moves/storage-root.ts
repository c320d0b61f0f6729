// Safe path building under one storage root. Every path the moves domain touches goes through
// here: the relative part must pass the contract's RelativeStoragePath rule (no absolute, no
// `..`, no NUL) and, after resolving symlinks of whatever already exists, must stay inside the
// root — a symlinked ARCHIVE pointing elsewhere is refused rather than followed.
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { relativePathProblem } from '@retaia/protocol';
import { StoragePathError } from './move-errors.js';

export interface StorageLayout {
  /** Absolute path of the storage root (the folder holding the `.retaia` marker). */
  root: string;
  storage_id: string;
  /** Top-level folders from the marker's `paths` (e.g. INBOX, ARCHIVE, REJECTS). */
  paths: { inbox: string; archive: string; rejects: string };
}

/** Relative directory (POSIX) of the derived files Core writes for one asset. */
export function derivedDirRelative(assetUuid: string): string {
  return `.derived/${assetUuid}`;
}

export function assertStorageRelative(p: string): string {
  const problem = relativePathProblem(p);
  if (problem) {
    throw new StoragePathError(`refusing storage path ${JSON.stringify(p)}: ${problem}`, {
      path: p,
      reason: problem,
    });
  }
  return p;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realRoot(root: string): Promise<string> {
  if (!path.isAbsolute(root)) {
    throw new StoragePathError(`storage root must be absolute, got ${JSON.stringify(root)}`);
  }
  return realpath(root);
}

/** Realpath of the deepest existing ancestor of `abs` (the part a symlink could redirect). */
async function realExistingPrefix(abs: string): Promise<string> {
  let current = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(await realpath(current), ...tail.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = path.dirname(current);
      if (parent === current) throw err;
      tail.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Absolute path of `relative` under `root`, checked lexically and against symlinks. The returned
 * path is the resolved one, so later operations act on what was checked.
 */
export async function resolveInsideRoot(root: string, relative: string): Promise<string> {
  assertStorageRelative(relative);
  const base = await realRoot(root);
  const lexical = path.resolve(base, relative);
  if (!isInside(base, lexical)) {
    throw new StoragePathError(`storage path ${JSON.stringify(relative)} leaves the root`, {
      path: relative,
    });
  }
  const resolved = await realExistingPrefix(lexical);
  if (!isInside(base, resolved)) {
    throw new StoragePathError(
      `storage path ${JSON.stringify(relative)} resolves outside the storage root (symlink?)`,
      { path: relative },
    );
  }
  return resolved;
}

/** Creates `relativeDir` (recursively) and re-checks it did not land outside the root. */
export async function ensureDirInsideRoot(root: string, relativeDir: string): Promise<string> {
  const abs = await resolveInsideRoot(root, relativeDir);
  await mkdir(abs, { recursive: true });
  return resolveInsideRoot(root, relativeDir);
}

/** POSIX join of relative segments; each segment is validated before the join can normalise it. */
export function joinRelative(...segments: string[]): string {
  const parts = segments.filter((s) => s !== '').map(assertStorageRelative);
  return assertStorageRelative(path.posix.join(...parts));
}
