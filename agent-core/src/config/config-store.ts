// Reads and writes the JSON config file. Validation lives in config-schema.ts (shared with the
// browser); this module only adds the file system. A config that fails validation is never
// written, and a file that fails validation is reported, never half-applied.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  validateAgentConfig,
  formatConfigProblems,
  type AgentConfig,
  type ConfigFieldProblem,
} from './config-schema.js';

export class ConfigError extends Error {
  readonly retryable = false;
  constructor(
    readonly path: string,
    readonly problems: ConfigFieldProblem[],
  ) {
    super(`invalid config ${path}:\n${formatConfigProblems(problems)}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  path: string;
  exists: boolean;
  /** The file's JSON as written (defaults not filled in), `{}` when absent. */
  raw: unknown;
  config: AgentConfig;
}

/** Loads and validates the file; a missing file is the all-defaults config. Throws ConfigError. */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(path, [
        {
          field: '(file)',
          message: `cannot read the file: ${(err as Error).message}; check its permissions`,
        },
      ]);
    }
  }
  let raw: unknown = {};
  if (text !== undefined) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(path, [
        {
          field: '(file)',
          message: `not valid JSON (${(err as Error).message}): fix the syntax or run "retaia-agent config init --force"`,
        },
      ]);
    }
  }
  const result = validateAgentConfig(raw);
  if (!result.ok) throw new ConfigError(path, result.problems);
  return { path, exists: text !== undefined, raw, config: result.config };
}

/** Validates `raw` and, only when valid, writes it atomically (temp file + rename). */
export async function saveConfigFile(path: string, raw: unknown): Promise<AgentConfig> {
  const result = validateAgentConfig(raw);
  if (!result.ok) throw new ConfigError(path, result.problems);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
  return result.config;
}
