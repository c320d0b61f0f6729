// zod at the HTTP edge: a body that does not match is a 422 VALIDATION_FAILED naming the fields.
import type { z } from 'zod';
import { validationFailed } from '../errors/core-error.js';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw validationFailed(
      `invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return r.data;
}
