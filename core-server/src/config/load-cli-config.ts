// Server options from, in order of precedence: command-line flags, RETAIA_CORE_* environment
// variables, a JSON config file (--config or RETAIA_CORE_CONFIG), defaults.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { storageIdFromMarkerSync } from '../storage/storage-marker.js';
import { coreOptionsSchema, type CoreOptions } from './core-options.js';

const ENV: Record<
  string,
  { key: keyof CoreOptions; type: 'string' | 'number' | 'boolean' | 'json' | 'list' }
> = {
  RETAIA_CORE_STORAGE_ROOT: { key: 'storageRoot', type: 'string' },
  RETAIA_CORE_STORAGE_ID: { key: 'storageId', type: 'string' },
  RETAIA_CORE_DATA_DIR: { key: 'dataDir', type: 'string' },
  RETAIA_CORE_DATABASE_URL: { key: 'databaseUrl', type: 'string' },
  RETAIA_CORE_HOST: { key: 'host', type: 'string' },
  RETAIA_CORE_PORT: { key: 'port', type: 'number' },
  RETAIA_CORE_PUBLIC_URL: { key: 'publicUrl', type: 'string' },
  RETAIA_CORE_LEASE_TTL_SECONDS: { key: 'leaseTtlSeconds', type: 'number' },
  RETAIA_CORE_STABILITY_WINDOW_MS: { key: 'stabilityWindowMs', type: 'number' },
  RETAIA_CORE_SCAN_INTERVAL_MS: { key: 'scanIntervalMs', type: 'number' },
  RETAIA_CORE_MAX_ATTEMPTS: { key: 'maxAttempts', type: 'number' },
  RETAIA_CORE_FEATURE_FLAGS: { key: 'featureFlags', type: 'json' },
  RETAIA_CORE_VIDEO_PROXY_SIDECARS: { key: 'videoProxySidecars', type: 'boolean' },
  RETAIA_CORE_TRUSTED_PROXIES: { key: 'trustedProxies', type: 'list' },
  RETAIA_CORE_LEADER_LEASE_MS: { key: 'leaderLeaseMs', type: 'number' },
};

/** Settings that used to be configurable and are now refused loudly rather than ignored. */
const REMOVED: Record<string, string> = {
  autoApproveDeviceFlow:
    'autoApproveDeviceFlow is not a configuration setting (it handed agent credentials to anyone who asked); approve devices on /device or with `core-server clients approve <code>`',
  RETAIA_CORE_AUTO_APPROVE_DEVICE_FLOW:
    'RETAIA_CORE_AUTO_APPROVE_DEVICE_FLOW is no longer supported; approve devices on /device or with `core-server clients approve <code>`',
};

export class ConfigError extends Error {
  readonly retryable = false;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (spec.type === 'number') out[spec.key] = Number(v);
    else if (spec.type === 'boolean') out[spec.key] = v === '1' || v.toLowerCase() === 'true';
    else if (spec.type === 'list')
      out[spec.key] = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    else if (spec.type === 'json') {
      try {
        out[spec.key] = JSON.parse(v);
      } catch {
        throw new ConfigError(`${name} must be JSON, e.g. {"features.ai.transcribe_audio":true}`);
      }
    } else out[spec.key] = v;
  }
  return out;
}

function fromFile(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  try {
    return z.record(z.string(), z.unknown()).parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
}

/**
 * The two settings every Core needs, explained in words instead of a schema message; the storage
 * id of an existing storage root defaults to the one in its `.retaia` marker.
 */
function requireStorage(merged: Record<string, unknown>): void {
  const root = merged.storageRoot;
  if (typeof root !== 'string' || root === '') {
    throw new ConfigError(
      'no storage root given: pass --storage-root /path/to/library (the folder that holds INBOX/, ARCHIVE/, REJECTS/ and the .retaia marker), or set RETAIA_CORE_STORAGE_ROOT, or "storageRoot" in the --config file. For a new, empty library add --init-storage and --storage-id NAME the first time.',
    );
  }
  if (merged.storageId !== undefined) return;
  const fromMarker = storageIdFromMarkerSync(path.resolve(root));
  if (fromMarker) {
    merged.storageId = fromMarker;
    return;
  }
  const why = existsSync(root)
    ? `${root} has no .retaia marker to read it from`
    : `${root} does not exist (if it is a NAS volume or an external disk, mount it first)`;
  throw new ConfigError(
    `no storage id given and ${why}: for a new library pass --storage-id NAME (letters, digits, . _ -; it names this library for the agents' storage_mounts) with --init-storage, or set RETAIA_CORE_STORAGE_ID, or "storageId" in the --config file`,
  );
}

export function loadCliConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): CoreOptions {
  const file = (flags.config as string | undefined) ?? env.RETAIA_CORE_CONFIG;
  const definedFlags = Object.fromEntries(
    Object.entries(flags).filter(([k, v]) => v !== undefined && k !== 'config'),
  );
  const fileOptions = fromFile(file);
  const setInEnv = Object.keys(env).filter((name) => env[name]);
  for (const name of [...Object.keys(fileOptions), ...setInEnv]) {
    if (REMOVED[name]) throw new ConfigError(REMOVED[name]);
  }
  const merged = {
    dataDir: 'retaia-core-data',
    ...fileOptions,
    ...fromEnv(env),
    ...definedFlags,
  };
  requireStorage(merged);
  const parsed = coreOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(config)'}: ${i.message}`,
    );
    throw new ConfigError(
      `invalid configuration: ${problems.join('; ')} (flags, RETAIA_CORE_* env or the JSON config file)`,
    );
  }
  return parsed.data;
}
