// The editable form of the daemon config. Mounts are kept as rows (so a storage id can be
// edited without losing its path) and turned back into the config's map for validation, which
// runs through the very module the CLI uses.
import {
  type ConfigFieldProblem,
  DEFAULT_CONFIG,
  validateAgentConfig,
} from '@retaia/agent-core/config/config-schema.js';

export interface MountRow {
  key: number;
  storageId: string;
  path: string;
}

export interface ConfigDraft {
  /** Fields the form does not edit are carried through untouched. */
  base: Record<string, unknown>;
  coreUrl: string;
  /** PEM file trusted for Core's HTTPS certificate (core_ca_file), '' for none. */
  coreCaFile: string;
  agentName: string;
  mounts: MountRow[];
  maxParallelJobs: number;
  cpuPriority: number;
  videoEncoder: 'auto' | 'software';
  pauseOnBattery: boolean;
  onlyWhenIdle: boolean;
  respectQuietHours: boolean;
}

let nextKey = 1;
export const newMountRow = (storageId = '', path = ''): MountRow => ({
  key: nextKey++,
  storageId,
  path,
});

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function draftFromConfig(config: unknown): ConfigDraft {
  const c = asRecord(config);
  const power = asRecord(c.power_policy);
  return {
    base: c,
    coreUrl: typeof c.core_url === 'string' ? c.core_url : '',
    coreCaFile: typeof c.core_ca_file === 'string' ? c.core_ca_file : '',
    agentName: typeof c.agent_name === 'string' ? c.agent_name : '',
    mounts: Object.entries(asRecord(c.storage_mounts)).map(([id, p]) => newMountRow(id, String(p))),
    maxParallelJobs:
      typeof c.max_parallel_jobs === 'number'
        ? c.max_parallel_jobs
        : DEFAULT_CONFIG.max_parallel_jobs,
    cpuPriority: typeof c.cpu_priority === 'number' ? c.cpu_priority : DEFAULT_CONFIG.cpu_priority,
    videoEncoder: c.video_encoder === 'software' ? 'software' : 'auto',
    pauseOnBattery:
      typeof power.pause_on_battery === 'boolean'
        ? power.pause_on_battery
        : DEFAULT_CONFIG.power_policy.pause_on_battery,
    onlyWhenIdle:
      typeof power.only_when_idle === 'boolean'
        ? power.only_when_idle
        : DEFAULT_CONFIG.power_policy.only_when_idle,
    respectQuietHours:
      typeof power.respect_quiet_hours === 'boolean'
        ? power.respect_quiet_hours
        : DEFAULT_CONFIG.power_policy.respect_quiet_hours,
  };
}

export function configFromDraft(d: ConfigDraft): Record<string, unknown> {
  const out: Record<string, unknown> = { ...d.base };
  if (d.coreUrl.trim()) out.core_url = d.coreUrl.trim();
  else delete out.core_url;
  if (d.coreCaFile.trim()) out.core_ca_file = d.coreCaFile.trim();
  else delete out.core_ca_file;
  if (d.agentName.trim()) out.agent_name = d.agentName;
  else delete out.agent_name;
  const mounts: Record<string, string> = {};
  for (const row of d.mounts) if (row.storageId || row.path) mounts[row.storageId] = row.path;
  out.storage_mounts = mounts;
  out.max_parallel_jobs = d.maxParallelJobs;
  out.cpu_priority = d.cpuPriority;
  out.video_encoder = d.videoEncoder;
  out.power_policy = {
    ...asRecord(d.base.power_policy),
    pause_on_battery: d.pauseOnBattery,
    only_when_idle: d.onlyWhenIdle,
    respect_quiet_hours: d.respectQuietHours,
  };
  return out;
}

/** Same validation as `retaia-agent config validate`, plus duplicate-id checks the map hides. */
export function validateDraft(d: ConfigDraft): ConfigFieldProblem[] {
  const problems: ConfigFieldProblem[] = [];
  const seen = new Set<string>();
  for (const row of d.mounts) {
    if (!row.storageId && !row.path) continue;
    if (!row.storageId)
      problems.push({
        field: `storage_mounts.#${row.key}`,
        message: 'enter the storage id shown in Core',
      });
    else if (seen.has(row.storageId)) {
      problems.push({
        field: `storage_mounts.${row.storageId}`,
        message: `storage id "${row.storageId}" is listed twice`,
      });
    }
    seen.add(row.storageId);
  }
  const result = validateAgentConfig(configFromDraft(d));
  return result.ok ? problems : [...problems, ...result.problems];
}

/** Problems for one field (exact match or below it). */
export function problemsFor(problems: readonly ConfigFieldProblem[], field: string): string[] {
  return problems
    .filter((p) => p.field === field || p.field.startsWith(`${field}.`))
    .map((p) => p.message);
}
