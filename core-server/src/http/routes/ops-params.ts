// Parameter checks shared by the /ops routes. The contract declares 400 VALIDATION_FAILED for
// them (most other routes answer 422), so failures here carry 400 and name the parameter.
import type { z } from 'zod';
import { CoreError } from '../../errors/core-error.js';
import { parseBody } from '../parse-body.js';

export const opsBadRequest = (message: string, parameter?: string) =>
  new CoreError('VALIDATION_FAILED', 400, message, false, parameter ? { parameter } : undefined);

/** An integer query parameter within bounds (absent: the fallback). */
export function pageParam(
  name: string,
  raw: string | undefined,
  bounds: { min: number; max: number; fallback: number },
): number {
  if (raw === undefined) return bounds.fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) {
    const range =
      bounds.max === Number.MAX_SAFE_INTEGER ? `≥ ${bounds.min}` : `${bounds.min}..${bounds.max}`;
    throw opsBadRequest(
      `${name} must be a whole number ${range}, got ${JSON.stringify(raw)}`,
      name,
    );
  }
  return n;
}

/** A JSON body checked by `schema`; a mismatch is 400 naming the fields. */
export function opsBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  try {
    return parseBody(schema, body);
  } catch (err) {
    if (err instanceof CoreError && err.code === 'VALIDATION_FAILED') {
      throw new CoreError(err.code, 400, err.message, false, err.details);
    }
    throw err;
  }
}
