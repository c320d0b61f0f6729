// Safe path building under one storage root. Every path the moves domain touches goes through
// here: the relative part must pass the contract's RelativeStoragePath rule (no absolute, no
// `..`, no NUL), and no symlink below the root is ever followed: every existing folder on the
// way must be a real folder, and the last component is returned unresolved so link, rename,
// unlink and rm act on that directory entry itself, never on what a link points to
// (docs/storage-safety.md). The root itself may be a symlink (a NAS mount point often is).
import { lstat, mkdir, realpath } from 'node:fs/promises';
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

/** lstat (never follows a link), or undefined when the entry does not exist. */
export async function lstatOrUndefined(abs: string) {
  try {
    return await lstat(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when something (even a dangling link) is at `abs`. */
export const pathExists = async (abs: string) => (await lstatOrUndefined(abs)) !== undefined;

/** Refuses when one of `folders` (relative to `base`, outermost first) is a link or a file. */
async function assertRealFolders(base: string, folders: string[], relative: string) {
  let current = base;
  for (const [i, name] of folders.entries()) {
    current = path.join(current, name);
    const st = await lstatOrUndefined(current);
    if (!st) return; // not created yet: mkdir will make a real folder
    const shown = folders.slice(0, i + 1).join('/');
    if (st.isSymbolicLink()) {
      throw new StoragePathError(
        `${shown} is a symbolic link; Retaia never follows links inside the storage root (replace it with a real folder)`,
        { path: relative, symlink: shown },
      );
    }
    if (!st.isDirectory()) {
      throw new StoragePathError(`${shown} is not a folder`, {
        path: relative,
        not_a_folder: shown,
      });
    }
  }
}

/** Lexical absolute path of `relative` under the real root; refuses anything that leaves it. */
async function lexicalInsideRoot(root: string, relative: string) {
  assertStorageRelative(relative);
  const base = await realRoot(root);
  const lexical = path.resolve(base, relative);
  if (!isInside(base, lexical) || lexical === base) {
    throw new StoragePathError(`storage path ${JSON.stringify(relative)} leaves the root`, {
      path: relative,
    });
  }
  return { base, lexical };
}

/**
 * Absolute path of the entry `relative` names under `root`. Refuses (StoragePathError) when a
 * folder on the way is a symlink or not a folder; folders that do not exist yet are fine (they
 * are created as real folders). The last component is not inspected: see `assertOwnFile`.
 */
export async function resolveInsideRoot(root: string, relative: string): Promise<string> {
  const { base, lexical } = await lexicalInsideRoot(root, relative);
  const folders = path.relative(base, path.dirname(lexical)).split(path.sep).filter(Boolean);
  await assertRealFolders(base, folders, relative);
  return lexical;
}

/**
 * Checks that the entry at `abs` (from `resolveInsideRoot`) is a regular file of its own, not a
 * symlink or anything else; returns false when it does not exist.
 */
export async function assertOwnFile(abs: string, relative: string): Promise<boolean> {
  const st = await lstatOrUndefined(abs);
  if (!st) return false;
  if (st.isSymbolicLink()) {
    throw new StoragePathError(
      `${relative} is a symbolic link; Retaia moves and deletes only real files, never what a link points to`,
      { path: relative, symlink: relative },
    );
  }
  if (!st.isFile()) {
    throw new StoragePathError(`${relative} is not a regular file`, { path: relative });
  }
  return true;
}

/** Absolute path of the folder `relativeDir`; it and every folder above it must be real folders. */
export async function resolveFolderInsideRoot(root: string, relativeDir: string): Promise<string> {
  const { base, lexical } = await lexicalInsideRoot(root, relativeDir);
  await assertRealFolders(base, path.relative(base, lexical).split(path.sep), relativeDir);
  return lexical;
}

/** Creates `relativeDir` (recursively) as real folders, checked before and after. */
export async function ensureDirInsideRoot(root: string, relativeDir: string): Promise<string> {
  const abs = await resolveFolderInsideRoot(root, relativeDir);
  await mkdir(abs, { recursive: true });
  // Checked again once created: a folder swapped for a link meanwhile is refused.
  return resolveFolderInsideRoot(root, relativeDir);
}

/** POSIX join of relative segments; each segment is validated before the join can normalise it. */
export function joinRelative(...segments: string[]): string {
  const parts = segments.filter((s) => s !== '').map(assertStorageRelative);
  return assertStorageRelative(path.posix.join(...parts));
}
