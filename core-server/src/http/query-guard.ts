// Query strings are checked once, before any route: a parameter given twice (the contract's
// arrays are comma-separated, `state=A,B`), a control character (`q=%00`) or a count that is not
// a plain non-negative integer (`limit=1.5`) is a 422 naming the parameter — never a 500 from
// deeper down.
import { validationFailed } from '../errors/core-error.js';

const INTEGER_PARAMS = new Set(['limit', 'offset', 'index']);
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function checkQuery(query: unknown): void {
  if (!query || typeof query !== 'object') return;
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      throw validationFailed(
        `query parameter ${name} is given ${value.length} times; give it once (lists are comma-separated, e.g. ${name}=A,B)`,
        { parameter: name },
      );
    }
    if (typeof value !== 'string') continue;
    if (CONTROL_CHARS.test(value)) {
      throw validationFailed(`query parameter ${name} contains a control character`, {
        parameter: name,
      });
    }
    if (INTEGER_PARAMS.has(name) && !/^[0-9]{1,9}$/.test(value)) {
      throw validationFailed(
        `query parameter ${name} must be a whole number, got ${JSON.stringify(value.slice(0, 40))}`,
        {
          parameter: name,
        },
      );
    }
  }
}
