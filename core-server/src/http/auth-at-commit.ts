// The job loop's requests (poll, claim, submit) are authenticated from the lookup cache without
// first reading whether it is current: the store checks that where the request takes effect,
// inside the claim's or the submit's transaction or the poll's read (CoreStore.authChecks).
// Reading it up front as well cost ~14 µs per request, the largest single SQLite cost of a job
// cycle (docs/core-performance.md), and still let a revocation commit between that read and the
// write. When the credentials changed in between, nothing was written: the request is
// authenticated again from the database and runs again, and a revoked agent gets its 401 then.
import type { FastifyRequest } from 'fastify';
import { CoreError } from '../errors/core-error.js';
import type { CoreContext } from '../server/core-context.js';
import { AuthChangedError } from '../store/store-types.js';

/** Credentials changing this many times during one request is a storm: the agent retries. */
const ATTEMPTS = 3;

export async function withAuthCheckedAtCommit<T>(
  ctx: CoreContext,
  request: FastifyRequest,
  run: () => Promise<T>,
): Promise<T> {
  ctx.store.authChecks?.defer(request);
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof AuthChangedError)) throw err;
      if (attempt >= ATTEMPTS) {
        throw new CoreError(
          'TEMPORARY_UNAVAILABLE',
          503,
          'credentials kept changing while the request ran; retry',
          true,
        );
      }
      ctx.store.authChecks?.recheck(request);
    }
  }
}
