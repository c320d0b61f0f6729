// Where the agent keeps its files, following each OS's conventions. Every location can be
// overridden (flags > environment > OS default) so tests and several installs never collide.
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export const APP_DIR_NAME = 'retaia-agent';

export interface AgentPaths {
  configPath: string;
  dataDir: string;
  /** Unix socket path, or a Windows named pipe (`\\.\pipe\…`). */
  controlSocketPath: string;
}

export interface AgentPathOverrides {
  configPath?: string;
  dataDir?: string;
  controlSocketPath?: string;
}

type Env = Record<string, string | undefined>;

export function defaultConfigPath(env: Env = process.env, platform = process.platform): string {
  if (env.RETAIA_AGENT_CONFIG) return env.RETAIA_AGENT_CONFIG;
  const home = env.HOME ?? homedir();
  if (platform === 'win32') {
    return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_DIR_NAME, 'config.json');
  }
  if (platform === 'darwin') {
    return join(home, 'Library', 'Application Support', APP_DIR_NAME, 'config.json');
  }
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), APP_DIR_NAME, 'config.json');
}

export function defaultDataDir(env: Env = process.env, platform = process.platform): string {
  if (env.RETAIA_AGENT_DATA_DIR) return env.RETAIA_AGENT_DATA_DIR;
  const home = env.HOME ?? homedir();
  if (platform === 'win32') {
    return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), APP_DIR_NAME);
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_NAME);
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), APP_DIR_NAME);
}

/**
 * One control endpoint per user: the XDG runtime dir on Linux (tmpfs, per user), the data dir
 * elsewhere, a per-user named pipe on Windows.
 */
export function defaultControlSocketPath(
  dataDir: string,
  env: Env = process.env,
  platform = process.platform,
): string {
  if (env.RETAIA_AGENT_SOCKET) return env.RETAIA_AGENT_SOCKET;
  if (platform === 'win32') return `\\\\.\\pipe\\${APP_DIR_NAME}-${userInfo().username}`;
  if (platform === 'linux' && env.XDG_RUNTIME_DIR && !env.RETAIA_AGENT_DATA_DIR) {
    return join(env.XDG_RUNTIME_DIR, `${APP_DIR_NAME}.sock`);
  }
  return join(dataDir, 'agent.sock');
}

export function resolveAgentPaths(
  overrides: AgentPathOverrides = {},
  env: Env = process.env,
): AgentPaths {
  const dataDir = overrides.dataDir ?? defaultDataDir(env);
  return {
    configPath: overrides.configPath ?? defaultConfigPath(env),
    dataDir,
    controlSocketPath:
      overrides.controlSocketPath ??
      (overrides.dataDir ? join(dataDir, 'agent.sock') : defaultControlSocketPath(dataDir, env)),
  };
}
