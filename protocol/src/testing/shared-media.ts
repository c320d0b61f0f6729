// Locates the real sample media the team keeps beside the repository (a `shared/media` folder
// next to the checkout in development and CI, or RETAIA_SHARED_DIR). Tests that need them call `sharedMediaOrSkip` and print why they skip.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function findSharedDir(): string | undefined {
  const candidates = [
    process.env.RETAIA_SHARED_DIR,
    join(repoRoot, '..', 'shared'),
    '/work/shared',
  ].filter((c): c is string => Boolean(c));
  return candidates.find((c) => existsSync(join(c, 'media')));
}

/** Absolute path of a sample under shared/media, or undefined (with the reason) when absent. */
export function sharedMedia(relative: string): { path?: string; skipReason?: string } {
  const dir = findSharedDir();
  if (!dir) {
    return {
      skipReason:
        'shared/media not found (set RETAIA_SHARED_DIR or place shared/ beside the repository)',
    };
  }
  const p = join(dir, 'media', relative);
  return existsSync(p)
    ? { path: p }
    : { skipReason: `sample ${relative} missing from ${dir}/media` };
}

export const REPO_ROOT = repoRoot;
