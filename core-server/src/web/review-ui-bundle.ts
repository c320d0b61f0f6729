// The review page's static bundle (core-server/review-ui/dist). Built by Vite at server start
// when missing or older than its sources, so a fresh clone works after `npm ci` alone, with or
// without dev dependencies (./review-ui-build.ts). Several
// servers may start at once (tests): each builds into its own temp folder and swaps it in with
// rename, so a reader never sees a half-written dist/.
import { mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pino from 'pino';
import { buildReviewUi } from './review-ui-build.js';

export const REVIEW_UI_ROOT = fileURLToPath(new URL('../../review-ui/', import.meta.url));
export const REVIEW_UI_DIST = path.join(REVIEW_UI_ROOT, 'dist');

async function newestMtime(target: string): Promise<number> {
  const st = await stat(target);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of await readdir(target))
    newest = Math.max(newest, await newestMtime(path.join(target, e)));
  return newest;
}

/** True when dist/ is missing or any source is newer than dist/index.html. */
export async function reviewUiIsStale(root = REVIEW_UI_ROOT): Promise<boolean> {
  const built = await stat(path.join(root, 'dist', 'index.html')).catch(() => undefined);
  if (!built) return true;
  const sources = Math.max(
    await newestMtime(path.join(root, 'src')),
    await newestMtime(path.join(root, 'index.html')),
    await newestMtime(path.join(root, 'build.ts')),
  );
  return sources > built.mtimeMs;
}

let inFlight: Promise<boolean> | undefined;

/**
 * Builds the bundle if stale. Returns false (and logs why) when it cannot be built — e.g. an
 * install without dev dependencies — in which case /review/ answers 503 with instructions.
 */
export function ensureReviewUiBuilt(logger: pino.Logger, root = REVIEW_UI_ROOT): Promise<boolean> {
  inFlight ??= (async () => {
    if (!(await reviewUiIsStale(root))) return true;
    const started = Date.now();
    const tmp = await mkdtemp(path.join(root, '.dist-build-'));
    try {
      await buildReviewUi(root, tmp);
      const old = `${tmp}-old`;
      await rename(path.join(root, 'dist'), old).catch(() => undefined);
      await rename(tmp, path.join(root, 'dist')).catch(async (err: NodeJS.ErrnoException) => {
        // Another process swapped its fresh build in first: keep that one.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
      await rm(old, { recursive: true, force: true });
      logger.info({ ms: Date.now() - started }, 'review UI built');
      return true;
    } catch (err) {
      logger.error(
        { err },
        'review UI could not be built; /review/ is unavailable (is the vite package installed? reinstall with npm ci)',
      );
      return false;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  })().finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}
