// `retaia-agent config …`: where the config lives, init, show, validate, set. A running daemon
// validates and applies changes itself; without one the file is edited directly. Storage mounts
// are checked as soon as they are written: a missing folder or a folder without `.retaia` is
// reported at once (the file is still saved: the share may simply not be mounted yet).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  formatConfigProblems,
  parseConfigValue,
  setConfigValue,
  validateAgentConfig,
  type AgentConfig,
} from '../config/config-schema.js';
import { loadConfigFile, saveConfigFile } from '../config/config-store.js';
import { openSecretStore } from '../identity/secret-store.js';
import {
  CliError,
  daemonClient,
  humanMountProblems,
  mountProblems,
  pathsOf,
  print,
  readRawConfig,
  type GlobalOpts,
} from './cli-support.js';

async function reportMounts(g: GlobalOpts, config: AgentConfig) {
  const problems = await mountProblems(config.storage_mounts);
  if (!g.json) for (const line of humanMountProblems(problems)) process.stderr.write(`${line}\n`);
  return problems;
}

export function addConfigCommand(program: Command, g: () => GlobalOpts): void {
  const config = program.command('config').description('show, validate and edit the configuration');
  config
    .command('path')
    .description('print where the config file lives')
    .action(() => print(g(), { path: pathsOf(g()).configPath }, () => pathsOf(g()).configPath));
  config
    .command('init')
    .description('write a new config file')
    .option('--core-url <url>', 'Core URL, e.g. https://nas.local:8443')
    .option('--storage <id=path...>', 'storage mount(s): storage_id=/absolute/path')
    .option('--force', 'overwrite an existing file')
    .action(async (o: { coreUrl?: string; storage?: string[]; force?: boolean }) => {
      const paths = pathsOf(g());
      if (existsSync(paths.configPath) && !o.force)
        throw new CliError(
          `${paths.configPath} exists: use --force to overwrite, or "config set" to change one field`,
          2,
        );
      const mounts: Record<string, string> = {};
      for (const s of o.storage ?? []) {
        const eq = s.indexOf('=');
        if (eq < 1) throw new CliError(`--storage ${s}: write it as storage_id=/absolute/path`, 2);
        mounts[s.slice(0, eq)] = s.slice(eq + 1);
      }
      const raw = { ...(o.coreUrl ? { core_url: o.coreUrl } : {}), storage_mounts: mounts };
      // The values come from the options, not from a file: say so, and write nothing.
      const checked = validateAgentConfig(raw);
      if (!checked.ok)
        throw new CliError(
          `nothing written to ${paths.configPath}; fix the options:\n${formatConfigProblems(
            checked.problems.map((p) => ({
              ...p,
              field:
                p.field === 'core_url'
                  ? '--core-url'
                  : p.field.startsWith('storage_mounts')
                    ? `--storage ${p.field.slice('storage_mounts.'.length)}=…`
                    : p.field,
            })),
          )}`,
          2,
        );
      const cfg = await saveConfigFile(paths.configPath, raw);
      const problems = await reportMounts(g(), cfg);
      print(
        g(),
        { path: paths.configPath, config: cfg, mountProblems: problems },
        () => `Wrote ${paths.configPath}`,
      );
    });
  config
    .command('show')
    .description('show the effective config, where files live and which secret store is used')
    .action(async () => {
      const paths = pathsOf(g());
      const client = await daemonClient(paths);
      const view = client
        ? await client.getConfig()
        : {
            path: paths.configPath,
            config: (await loadConfigFile(paths.configPath)).config,
            secretStore: (await openSecretStore(paths.dataDir)).info,
          };
      const out = {
        ...view,
        dataDir: paths.dataDir,
        controlEndpoint: paths.controlSocketPath,
        daemonRunning: Boolean(client),
      };
      print(g(), out, () =>
        [
          `config file:  ${view.path}`,
          `data dir:     ${paths.dataDir}`,
          `control:      ${paths.controlSocketPath} (${client ? 'daemon running' : 'no daemon'})`,
          `secret store: ${view.secretStore.kind} — ${view.secretStore.detail}`,
          JSON.stringify(view.config, null, 2),
        ].join('\n'),
      );
    });
  config
    .command('validate [file]')
    .description('validate a config file (default: the active one)')
    .action(async (file?: string) => {
      const path = file ? resolve(file) : pathsOf(g()).configPath;
      const result = validateAgentConfig(await readRawConfig(path));
      const problems = result.ok ? await mountProblems(result.config.storage_mounts) : [];
      print(g(), { ...result, mountProblems: problems }, () =>
        result.ok
          ? [`${path}: valid`, ...humanMountProblems(problems)].join('\n')
          : `${path}: invalid\n${formatConfigProblems(result.problems)}`,
      );
      if (!result.ok) process.exitCode = 2;
    });
  config
    .command('set <key> <value>')
    .description('set one field (dotted, e.g. storage_mounts.nas-main /mnt/nas); "null" removes it')
    .action(async (key: string, value: string) => {
      const paths = pathsOf(g());
      const parsed = parseConfigValue(value);
      const raw = setConfigValue(
        await readRawConfig(paths.configPath),
        key,
        parsed === null ? undefined : parsed,
      );
      const client = await daemonClient(paths);
      const result = client ? await client.saveConfig(raw) : validateAgentConfig(raw);
      if (!result.ok) {
        print(g(), result, () => `not applied:\n${formatConfigProblems(result.problems)}`);
        process.exitCode = 2;
        return;
      }
      if (!client) await saveConfigFile(paths.configPath, raw);
      const saved = validateAgentConfig(raw);
      const problems = saved.ok ? await reportMounts(g(), saved.config) : [];
      print(
        g(),
        {
          ok: true,
          path: paths.configPath,
          appliedToDaemon: Boolean(client),
          mountProblems: problems,
        },
        () => `${key} set${client ? ' and applied to the running daemon' : ''}`,
      );
    });
}
