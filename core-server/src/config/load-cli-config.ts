// Server options from, in order of precedence: command-line flags, RETAIA_CORE_* environment
// variables, a JSON config file (--config or RETAIA_CORE_CONFIG), defaults.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { coreOptionsSchema, type CoreOptions } from './core-options.js';

const ENV: Record<
  string,
  { key: keyof CoreOptions; type: 'string' | 'number' | 'boolean' | 'json' | 'list' }
> = {
  RETAIA_CORE_STORAGE_ROOT: { key: 'storageRoot', type: 'string' },
  RETAIA_CORE_STORAGE_ID: { key: 'storageId', type: 'string' },
  RETAIA_CORE_DATA_DIR: { key: 'dataDir', type: 'string' },
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
