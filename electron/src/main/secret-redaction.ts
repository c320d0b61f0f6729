// Defence in depth: the daemon already redacts its config view, but anything that crosses into
// the renderer is scrubbed again here so a daemon bug cannot leak a secret into a web page.
const SECRET_KEY = /secret|token|password|passphrase|private[_-]?key|api[_-]?key|authorization/i;
// A setting that names where a secret lives (`token_file`, `key_path`) is not itself a secret.
const LOCATION_KEY = /(_file|_path|_dir|File|Path|Dir)$/;

const isSecretKey = (key: string): boolean => SECRET_KEY.test(key) && !LOCATION_KEY.test(key);

export const REDACTED = '[redacted]';

export function redactSecrets<T>(value: T): T {
  return scrub(value) as T;
}

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Only leaf values are secrets; an object under a secret-ish key (e.g. `secretStore`
      // describing where secrets live) is scrubbed field by field instead.
      const leaf = typeof v === 'string' || typeof v === 'number';
      out[k] = leaf && isSecretKey(k) ? REDACTED : scrub(v);
    }
    return out;
  }
  return value;
}

/**
 * Puts the real values back where an edited copy still holds the placeholder, so saving a
 * config the renderer edited never overwrites a secret with "[redacted]".
 */
export function restoreRedacted(edited: unknown, original: unknown): unknown {
  if (edited === REDACTED) return original;
  if (Array.isArray(edited)) {
    return edited.map((v, i) =>
      restoreRedacted(v, Array.isArray(original) ? original[i] : undefined),
    );
  }
  if (edited && typeof edited === 'object') {
    const src =
      original && typeof original === 'object' ? (original as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(edited)) out[k] = restoreRedacted(v, src[k]);
    return out;
  }
  return edited;
}
