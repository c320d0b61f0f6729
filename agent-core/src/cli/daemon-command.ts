// `retaia-agent daemon …`: start (background or foreground), stop, status, and the autostart
// entry (systemd user unit / launchd agent / Windows login item).
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { AgentPaths } from '../config/agent-paths.js';
import { ControlClient, DaemonNotRunningError } from '../runtime/control-client.js';
import type { StatusSnapshot } from '../runtime/control-protocol.js';
import { readLockOwner } from '../runtime/daemon-lock.js';
import { installService, uninstallService, type ServiceCommand } from './service-units.js';
import {
  CliError,
  daemonClient,
  humanMountProblems,
  pathsOf,
  print,
  type GlobalOpts,
} from './cli-support.js';

const BIN_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/retaia-agent.js');

function humanStatus(s: StatusSnapshot): string {
  return [
    `state:        ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
    `agent:        ${s.agentName} ${s.agentVersion} — id ${s.agentId}, pid ${s.pid}`,
    `core:         ${s.coreUrl ?? '(not configured)'} — ${s.connection.state}${s.connection.lastError ? ` (${s.connection.lastError})` : ''}`,
    `auth:         ${s.auth.state}${s.auth.clientId ? ` (client ${s.auth.clientId})` : ''}`,
    `capabilities: ${s.effectiveCapabilities.join(', ') || s.capabilities.join(', ') || '(none)'}`,
    `parallel:     ${s.currentJobs.length}/${s.maxParallelJobs} running`,
    ...s.currentJobs.map(
      (j) =>
        `  ${j.jobType} ${j.sourceName} — ${j.stage}${j.percent !== undefined ? ` ${j.percent}%` : ''}`,
    ),
    ...humanMountProblems(s.mountProblems ?? []),
  ].join('\n');
}

function serviceCommand(paths: AgentPaths, g: GlobalOpts): ServiceCommand {
  const args = [BIN_PATH, 'daemon', 'start', '--foreground'];
  if (g.config) args.push('--config', paths.configPath);
  if (g.dataDir) args.push('--data-dir', paths.dataDir);
  if (g.socket) args.push('--socket', paths.controlSocketPath);
  // Locations chosen through the environment must survive into the service's environment.
  const env = Object.fromEntries(
    [
      'RETAIA_AGENT_CONFIG',
      'RETAIA_AGENT_DATA_DIR',
      'RETAIA_AGENT_SOCKET',
      'RETAIA_AGENT_SECRET_STORE',
    ]
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k] as string]),
  );
  return { program: process.execPath, args, env, logPath: join(paths.dataDir, 'daemon.log') };
}

export function addDaemonCommand(program: Command, g: () => GlobalOpts): void {
  const daemon = program.command('daemon').description('run and control the background daemon');
  daemon
    .command('start')
    .description('start the daemon (in the background unless --foreground)')
    .option('--foreground', 'run in this process (for services and debugging)')
    .action(async (o: { foreground?: boolean }) => {
      const paths = pathsOf(g());
      if (o.foreground) {
        const { startDaemon } = await import('../runtime/daemon.js');
        const running = await startDaemon({
          configPath: paths.configPath,
          dataDir: paths.dataDir,
          controlSocketPath: paths.controlSocketPath,
          applyCpuPriority: true,
        });
        const onSignal = () => void running.stop();
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        await running.stopped;
        // The stop is bounded; whatever still unwinds (a cancelled request) must not keep a
        // service manager waiting.
        setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
        return;
      }
      if (await daemonClient(paths))
        throw new CliError(`a daemon is already running on ${paths.controlSocketPath}`);
      const { mkdir } = await import('node:fs/promises');
      await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
      const logPath = join(paths.dataDir, 'daemon.log');
      const fd = openSync(logPath, 'a');
      const args = [
        BIN_PATH,
        ...(g().config ? ['--config', paths.configPath] : []),
        ...(g().dataDir ? ['--data-dir', paths.dataDir] : []),
        ...(g().socket ? ['--socket', paths.controlSocketPath] : []),
        'daemon',
        'start',
        '--foreground',
      ];
      const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
      child.unref();
      const client = new ControlClient(paths.controlSocketPath, 2000);
      const deadline = Date.now() + 60_000;
      let exited: number | null = null;
      child.once('exit', (code) => (exited = code ?? 1));
      while (Date.now() < deadline) {
        if (await client.isRunning()) {
          print(
            g(),
            { started: true, pid: child.pid, log: logPath },
            () => `Daemon started (pid ${child.pid}); logs in ${logPath}`,
          );
          return;
        }
        if (exited !== null) break;
        await sleep(200);
      }
      const tail = (await readFile(logPath, 'utf8').catch(() => ''))
        .trim()
        .split('\n')
        .slice(-5)
        .join('\n');
      throw new CliError(`the daemon did not come up; last log lines (${logPath}):\n${tail}`);
    });
  daemon
    .command('stop')
    .description('stop the daemon (running jobs get a grace period, then are handed back)')
    .action(async () => {
      const paths = pathsOf(g());
      const client = await daemonClient(paths);
      if (!client)
        return print(g(), { stopped: false, running: false }, () => 'No daemon running.');
      await client.shutdown();
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && (await client.isRunning())) await sleep(200);
      while (Date.now() < deadline && (await readLockOwner(join(paths.dataDir, 'daemon.lock'))))
        await sleep(200);
      print(g(), { stopped: true }, () => 'Daemon stopped.');
    });
  daemon
    .command('status')
    .description('show the daemon state')
    .action(async () => {
      const paths = pathsOf(g());
      try {
        const s = await new ControlClient(paths.controlSocketPath, 5000).status();
        print(g(), s, () => humanStatus(s));
      } catch (err) {
        if (!(err instanceof DaemonNotRunningError)) throw err;
        print(
          g(),
          { state: 'stopped', reason: 'no daemon running' },
          () => `state: stopped (no daemon running; start it with "retaia-agent daemon start")`,
        );
        process.exitCode = 3;
      }
    });
  daemon
    .command('install')
    .description(
      'start the daemon automatically at login (systemd user unit / launchd agent / Windows login item)',
    )
    .option('--print', 'only print what would be written and run')
    .action(async (o: { print?: boolean }) => {
      const paths = pathsOf(g());
      const res = await installService(serviceCommand(paths, g()), { dryRun: Boolean(o.print) });
      print(
        g(),
        res,
        () =>
          `${o.print ? 'Would write' : 'Installed'} ${res.kind} at ${res.path}\n${o.print ? `${res.content}\n` : ''}${res.commands.map((c) => `$ ${c}`).join('\n')}`,
      );
    });
  daemon
    .command('uninstall')
    .description('remove the autostart entry')
    .option('--print', 'only print what would be run')
    .action(async (o: { print?: boolean }) => {
      const res = await uninstallService({ dryRun: Boolean(o.print) });
      print(
        g(),
        res,
        () =>
          `${o.print ? 'Would remove' : 'Removed'} ${res.path}\n${res.commands.map((c) => `$ ${c}`).join('\n')}`,
      );
    });
}
