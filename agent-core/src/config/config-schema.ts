// The agent's configuration schema and its validation. This module must stay free of `node:`
// imports: the desktop renderer imports it in the browser so the GUI and the CLI accept and
// refuse exactly the same configs, with the same messages.
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Same alphabet as Core's storage ids; also used as a file-safe key. */
export const STORAGE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const DEFAULT_CONFIG = {
  allow_insecure_http: false,
  storage_mounts: {},
  max_parallel_jobs: 1,
  cpu_priority: 10,
  video_encoder: 'auto',
  log_level: 'info',
  power_policy: { pause_on_battery: false, only_when_idle: false, respect_quiet_hours: true },
} as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** POSIX `/x`, Windows `C:\x` / `C:/x`, or UNC `\\server\share`. */
export function isAbsoluteLocalPath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/**
 * Trims, drops trailing slashes and appends `/api/v1` when missing. Returns the reason instead
 * when the value is not an http(s) URL.
 */
export function normalizeCoreUrl(raw: string): { url: string } | { problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    return { problem: `"${raw}" is not a URL: write it like https://nas.local:8443` };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return {
      problem: `unsupported scheme "${parsed.protocol}": use https:// (or http:// on loopback)`,
    };
  }
  if (parsed.username || parsed.password) {
    return {
      problem: 'remove the user name/password from the URL: the agent authenticates by enrolment',
    };
  }
  if (parsed.search || parsed.hash) {
    return { problem: 'remove the query string/fragment from the URL' };
  }
  let path = parsed.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/api/v1')) path = `${path}/api/v1`;
  return { url: `${parsed.protocol}//${parsed.host}${path}` };
}

const storageMountsSchema = z.record(z.string(), z.string()).superRefine((mounts, ctx) => {
  for (const [id, path] of Object.entries(mounts)) {
    if (!STORAGE_ID_PATTERN.test(id)) {
      ctx.addIssue({
        code: 'custom',
        path: [id],
        message: `storage id "${id}" is invalid: use letters, digits, ".", "_" or "-" (max 64), as shown in Core's .retaia marker`,
      });
    }
    if (!isAbsoluteLocalPath(path)) {
      ctx.addIssue({
        code: 'custom',
        path: [id],
        message: `mount path "${path}" must be absolute (e.g. /mnt/nas or D:\\NAS): point it at the folder that contains the .retaia marker`,
      });
    }
  }
});

const intIn = (field: string, min: number, max: number, what: string) =>
  z
    .number({ error: `${field} must be a whole number between ${min} and ${max} (${what})` })
    .int({ error: `${field} must be a whole number between ${min} and ${max} (${what})` })
    .min(min, { error: `${field} must be at least ${min} (${what})` })
    .max(max, { error: `${field} must be at most ${max} (${what})` });

/** An optional absolute path to a local file (checked for existence where it is used). */
const absoluteFile = (field: string, example: string, what: string) =>
  z
    .string({ error: `${field} must be a string path such as "${example}"` })
    .trim()
    .min(1, { error: `${field} must not be empty: remove it to ${what}`, abort: true })
    .refine(isAbsoluteLocalPath, {
      error: `${field} must be an absolute path such as "${example}"`,
    })
    .optional();

const bool = (field: string) => z.boolean({ error: `${field} must be true or false` });

export const agentConfigSchema = z
  .strictObject({
    core_url: z
      .string({ error: 'core_url must be a string such as "https://nas.local:8443"' })
      .optional(),
    allow_insecure_http: bool('allow_insecure_http').default(DEFAULT_CONFIG.allow_insecure_http),
    // A PEM to trust for Core's HTTPS certificate in addition to the system roots (a NAS's
    // self-signed certificate, or the CA that signed it). Verification is never disabled.
    core_ca_file: absoluteFile(
      'core_ca_file',
      '/etc/retaia/nas-certificate.pem',
      'trust only the system certificate authorities',
    ),
    agent_name: z
      .string({ error: 'agent_name must be a string' })
      .trim()
      .min(1, { error: 'agent_name must not be empty: remove it to use the host name' })
      .max(128, { error: 'agent_name is too long: use at most 128 characters' })
      .optional(),
    storage_mounts: storageMountsSchema.default({}),
    // Tool overrides; unset means FFMPEG_PATH/FFPROBE_PATH, then the bundled ffmpeg-static
    // binary, then PATH.
    ffmpeg_path: absoluteFile('ffmpeg_path', '/usr/local/bin/ffmpeg', 'find ffmpeg automatically'),
    ffprobe_path: absoluteFile(
      'ffprobe_path',
      '/usr/local/bin/ffprobe',
      'find ffprobe automatically',
    ),
    // `software` forces libx264 for video proxies (e.g. a GPU driver that makes bad frames);
    // `auto` uses a hardware encoder that passes a real trial encode (docs/video-encoders.md).
    video_encoder: z
      .enum(['auto', 'software'], {
        error:
          'video_encoder must be "auto" (hardware when it works) or "software" (always libx264)',
      })
      .default(DEFAULT_CONFIG.video_encoder),
    max_parallel_jobs: intIn('max_parallel_jobs', 1, 32, 'jobs run at once').default(
      DEFAULT_CONFIG.max_parallel_jobs,
    ),
    cpu_priority: intIn(
      'cpu_priority',
      0,
      19,
      'nice level for encodes; 19 = lowest priority',
    ).default(DEFAULT_CONFIG.cpu_priority),
    log_level: z
      .enum(LOG_LEVELS, { error: `log_level must be one of ${LOG_LEVELS.join(', ')}` })
      .default(DEFAULT_CONFIG.log_level),
    power_policy: z
      .strictObject({
        pause_on_battery: bool('power_policy.pause_on_battery').default(
          DEFAULT_CONFIG.power_policy.pause_on_battery,
        ),
        only_when_idle: bool('power_policy.only_when_idle').default(
          DEFAULT_CONFIG.power_policy.only_when_idle,
        ),
        respect_quiet_hours: bool('power_policy.respect_quiet_hours').default(
          DEFAULT_CONFIG.power_policy.respect_quiet_hours,
        ),
      })
      .default({ ...DEFAULT_CONFIG.power_policy }),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.core_url === undefined) return;
    const normalized = normalizeCoreUrl(cfg.core_url);
    if ('problem' in normalized) {
      ctx.addIssue({ code: 'custom', path: ['core_url'], message: normalized.problem });
      return;
    }
    const url = new URL(normalized.url);
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !cfg.allow_insecure_http) {
      ctx.addIssue({
        code: 'custom',
        path: ['core_url'],
        message:
          'plain http:// is only allowed to loopback: use https://, or set allow_insecure_http to true if you accept unencrypted traffic on this network',
      });
    }
  })
  .transform((cfg) => {
    if (cfg.core_url === undefined) return cfg;
    const normalized = normalizeCoreUrl(cfg.core_url);
    return 'url' in normalized ? { ...cfg, core_url: normalized.url } : cfg;
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;
/** What a user may write in the file (defaults filled in on validation). */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

export interface ConfigFieldProblem {
  field: string;
  message: string;
}

export type ConfigValidationResult =
  { ok: true; config: AgentConfig; problems: [] } | { ok: false; problems: ConfigFieldProblem[] };

function describeIssue(issue: z.core.$ZodIssue): ConfigFieldProblem[] {
  const field = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      field: field === '(root)' ? key : `${field}.${key}`,
      message: `unknown field "${key}": remove it or check its spelling`,
    }));
  }
  if (issue.code === 'invalid_type' && field === '(root)') {
    return [{ field, message: 'the config must be a JSON object: {"core_url": "https://…", …}' }];
  }
  if (issue.code === 'invalid_type' && issue.path[0] === 'storage_mounts') {
    return [
      {
        field,
        message:
          issue.path.length === 1
            ? 'storage_mounts must be an object mapping storage_id to an absolute path, e.g. {"nas-main": "/mnt/nas"}'
            : `${field} must be an absolute path string`,
      },
    ];
  }
  return [{ field, message: issue.message }];
}

/** Validates and normalises a raw config. Never throws. */
export function validateAgentConfig(raw: unknown): ConfigValidationResult {
  const parsed = agentConfigSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data, problems: [] };
  return { ok: false, problems: parsed.error.issues.flatMap(describeIssue) };
}

/** One line per problem, ready for a terminal or an inline form error. */
export function formatConfigProblems(problems: readonly ConfigFieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('\n');
}

/**
 * Sets a dotted key (e.g. `power_policy.pause_on_battery` or `storage_mounts.nas-main`) on a
 * copy of `raw`. Values are parsed as JSON when they look like JSON, else kept as strings.
 * `undefined` removes the key.
 */
export function setConfigValue(raw: unknown, dottedKey: string, value: unknown): unknown {
  const root: Record<string, unknown> =
    typeof raw === 'object' && raw !== null ? structuredClone(raw as Record<string, unknown>) : {};
  const keys = dottedKey.split('.');
  // storage ids may contain dots: everything after `storage_mounts.` is one key.
  if (keys[0] === 'storage_mounts' && keys.length > 2)
    keys.splice(1, keys.length, keys.slice(1).join('.'));
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return root;
}

/** CLI helper: "true" → true, "3" → 3, '{"a":1}' → object, anything else stays a string. */
export function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
