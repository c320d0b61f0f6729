// The daemon's config in force and what it refers to: read from the config file at start and on
// a refresh, replaced only by a valid one, and its storage mounts checked each time so a bad
// mount is reported before any job needs it. An invalid file keeps the defaults and says why.
import { validateAgentConfig, type AgentConfig } from '../config/config-schema.js';
import { ConfigError, loadConfigFile, saveConfigFile } from '../config/config-store.js';
import { validateMount } from '../config/storage-mount.js';
import type { AgentLogger } from './agent-logger.js';
import type { ConfigValidation, MountProblem } from './control-protocol.js';

export class RuntimeConfig {
  config: AgentConfig = (validateAgentConfig({}) as { config: AgentConfig }).config;
  /** Why the config file was not applied, when it was not. */
  problem?: string;
  /** Configured mounts that cannot be used (missing folder, no or wrong `.retaia`). */
  mountProblems: MountProblem[] = [];

  constructor(
    private readonly configPath: string,
    private readonly logger: AgentLogger,
  ) {}

  /** Reads the file again, then checks the mounts. */
  async load(): Promise<void> {
    try {
      this.config = (await loadConfigFile(this.configPath)).config;
      this.problem = undefined;
    } catch (err) {
      this.problem = err instanceof ConfigError ? err.message : String(err);
      this.logger.error({ error: this.problem }, 'config invalid: not applied');
    }
    this.logger.level = this.config.log_level;
    await this.checkMounts();
  }

  validate(raw: unknown): ConfigValidation {
    const result = validateAgentConfig(raw);
    return result.ok
      ? { ok: true, problems: [], config: result.config }
      : { ok: false, problems: result.problems };
  }

  /** Stores a config already validated, applies it and checks its mounts; returns the old one. */
  async replace(raw: unknown): Promise<AgentConfig> {
    const previous = this.config;
    this.config = await saveConfigFile(this.configPath, raw);
    this.problem = undefined;
    this.logger.level = this.config.log_level;
    await this.checkMounts();
    return previous;
  }

  private async checkMounts(): Promise<void> {
    const problems: MountProblem[] = [];
    for (const [storageId, path] of Object.entries(this.config.storage_mounts)) {
      const v = await validateMount(storageId, path);
      if (!v.ok) problems.push({ storageId, path, problem: v.problem ?? 'unusable' });
    }
    for (const p of problems)
      this.logger.warn(
        { storage_id: p.storageId, path: p.path, problem: p.problem },
        'storage mount unusable',
      );
    this.mountProblems = problems;
  }
}
