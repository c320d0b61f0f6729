// Autostart of the daemon at login, per OS: a systemd user unit (Linux), a launchd agent
// (macOS), a Run-key login item (Windows). The generators are pure so tests check the text;
// install/uninstall write the file and run the OS command.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SERVICE_NAME = 'retaia-agent';
export const LAUNCHD_LABEL = 'org.retaia.agent';
export const WINDOWS_RUN_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
export const WINDOWS_VALUE_NAME = 'RetaiaAgent';

export interface ServiceCommand {
  /** Absolute node executable and the arguments that run `daemon start --foreground`. */
  program: string;
  args: string[];
  env?: Record<string, string>;
  logPath: string;
}

function systemdQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

export function systemdUserUnit(cmd: ServiceCommand): string {
  const env = Object.entries(cmd.env ?? {}).map(
    ([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`,
  );
  return [
    '[Unit]',
    'Description=Retaia processing agent (media jobs for Retaia Core)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[cmd.program, ...cmd.args].map(systemdQuote).join(' ')}`,
    ...env,
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM lets running jobs finish within the grace period, then fails them retryable.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function xml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function launchdPlist(cmd: ServiceCommand): string {
  const env = Object.entries(cmd.env ?? {});
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key><string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...[cmd.program, ...cmd.args].map((a) => `    <string>${xml(a)}</string>`),
    '  </array>',
    ...(env.length
      ? [
          '  <key>EnvironmentVariables</key>',
          '  <dict>',
          ...env.map(([k, v]) => `    <key>${xml(k)}</key><string>${xml(v)}</string>`),
          '  </dict>',
        ]
      : []),
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>',
    '  <key>ProcessType</key><string>Background</string>',
    `  <key>StandardOutPath</key><string>${xml(cmd.logPath)}</string>`,
    `  <key>StandardErrorPath</key><string>${xml(cmd.logPath)}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

function windowsQuote(arg: string): string {
  return /[\s"]/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg;
}

/** The command line stored in the Run key, and the `reg` invocations to add/remove it. */
export function windowsLoginItem(cmd: ServiceCommand): {
  commandLine: string;
  install: string[];
  uninstall: string[];
} {
  const commandLine = [cmd.program, ...cmd.args].map(windowsQuote).join(' ');
  return {
    commandLine,
    install: [
      'add',
      WINDOWS_RUN_KEY,
      '/v',
      WINDOWS_VALUE_NAME,
      '/t',
      'REG_SZ',
      '/d',
      commandLine,
      '/f',
    ],
    uninstall: ['delete', WINDOWS_RUN_KEY, '/v', WINDOWS_VALUE_NAME, '/f'],
  };
}

export interface ServiceInstallResult {
  kind: 'systemd-user' | 'launchd' | 'windows-login-item';
  path: string;
  content: string;
  commands: string[];
}

export function serviceFilePath(platform = process.platform, env = process.env): string {
  const home = env.HOME ?? homedir();
  if (platform === 'darwin') return join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  if (platform === 'win32') return `${WINDOWS_RUN_KEY}\\${WINDOWS_VALUE_NAME}`;
  return join(
    env.XDG_CONFIG_HOME || join(home, '.config'),
    'systemd',
    'user',
    `${SERVICE_NAME}.service`,
  );
}

/** Writes the unit and enables it (unless `dryRun`). Returns what was (or would be) done. */
export async function installService(
  cmd: ServiceCommand,
  opts: { dryRun?: boolean; platform?: NodeJS.Platform } = {},
): Promise<ServiceInstallResult> {
  const platform = opts.platform ?? process.platform;
  const path = serviceFilePath(platform);
  if (platform === 'win32') {
    const item = windowsLoginItem(cmd);
    if (!opts.dryRun) await run('reg', item.install);
    return {
      kind: 'windows-login-item',
      path,
      content: item.commandLine,
      commands: [`reg ${item.install.join(' ')}`],
    };
  }
  if (platform === 'darwin') {
    const content = launchdPlist(cmd);
    const domain = `gui/${userInfo().uid}`;
    const commands = [`launchctl bootstrap ${domain} ${path}`];
    if (!opts.dryRun) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      await run('launchctl', ['bootout', domain, path]).catch(() => undefined);
      await run('launchctl', ['bootstrap', domain, path]);
    }
    return { kind: 'launchd', path, content, commands };
  }
  const content = systemdUserUnit(cmd);
  const commands = [
    'systemctl --user daemon-reload',
    `systemctl --user enable --now ${SERVICE_NAME}.service`,
  ];
  if (!opts.dryRun) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    await run('systemctl', ['--user', 'daemon-reload']);
    await run('systemctl', ['--user', 'enable', '--now', `${SERVICE_NAME}.service`]);
  }
  return { kind: 'systemd-user', path, content, commands };
}

export async function uninstallService(
  opts: { dryRun?: boolean; platform?: NodeJS.Platform } = {},
): Promise<{ path: string; commands: string[] }> {
  const platform = opts.platform ?? process.platform;
  const path = serviceFilePath(platform);
  if (platform === 'win32') {
    const args = ['delete', WINDOWS_RUN_KEY, '/v', WINDOWS_VALUE_NAME, '/f'];
    if (!opts.dryRun) await run('reg', args).catch(() => undefined);
    return { path, commands: [`reg ${args.join(' ')}`] };
  }
  if (platform === 'darwin') {
    const domain = `gui/${userInfo().uid}`;
    if (!opts.dryRun) {
      await run('launchctl', ['bootout', domain, path]).catch(() => undefined);
      await rm(path, { force: true });
    }
    return { path, commands: [`launchctl bootout ${domain} ${path}`] };
  }
  if (!opts.dryRun) {
    await run('systemctl', ['--user', 'disable', '--now', `${SERVICE_NAME}.service`]).catch(
      () => undefined,
    );
    await rm(path, { force: true });
    await run('systemctl', ['--user', 'daemon-reload']).catch(() => undefined);
  }
  return { path, commands: [`systemctl --user disable --now ${SERVICE_NAME}.service`] };
}
