// Starts the REAL core-server on loopback for agent tests: a temp root with the NAS storage under
// `nas/`, fast scan/sweep/device-flow settings, silent logs, closed when the test ends. Loaded
// lazily so the agent suite still runs (and skips) where core-server is not present.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

type StartCoreServer = typeof import('@retaia/core-server').startCoreServer;
export type RealCore = Awaited<ReturnType<StartCoreServer>>;

const coreIndex = fileURLToPath(new URL('../../../core-server/src/index.ts', import.meta.url));
/** Skip reason when core-server is not in the tree, undefined otherwise. */
export const skipNoCore = existsSync(coreIndex)
  ? undefined
  : 'core-server/src/index.ts not present yet';

export interface RealCoreEnv {
  core: RealCore;
  root: string;
  /** The storage root served as `nas-main`. */
  storage: string;
}

export async function startRealCore(
  t: { after(fn: () => Promise<void>): void },
  tmpPrefix: string,
  overrides: Partial<Parameters<StartCoreServer>[0]> = {},
): Promise<RealCoreEnv> {
  const { startCoreServer } = await import('@retaia/core-server');
  const pino = (await import('pino')).default;
  const root = makeTempDir(tmpPrefix);
  const storage = join(root, 'nas');
  const core = await startCoreServer({
    storageRoot: storage,
    initStorage: true,
    storageId: 'nas-main',
    dataDir: join(root, 'core-data'),
    port: 0,
    stabilityWindowMs: 0,
    scanIntervalMs: 0,
    sweepIntervalMs: 200,
    deviceFlowIntervalSeconds: 0,
    minPollIntervalSeconds: 1,
    ...overrides,
    logger: pino({ level: 'silent' }),
  });
  t.after(() => core.close());
  return { core, root, storage };
}

/**
 * Writes an agent config pointing at `coreUrl` with the test storage mounted as `nas-main`, drops
 * `source` into INBOX as `name` and waits until Core has discovered it. Returns the config path.
 */
export async function agentConfigWithReadyAsset(
  env: RealCoreEnv,
  coreUrl: string,
  source: string,
  name = 'clip.mp4',
): Promise<string> {
  const { copyFile, writeFile } = await import('node:fs/promises');
  const { waitFor } = await import('@retaia/protocol/testing/wait-for.js');
  const configPath = join(env.root, 'agent-config.json');
  await writeFile(
    configPath,
    JSON.stringify({ core_url: coreUrl, storage_mounts: { 'nas-main': env.storage } }),
  );
  await copyFile(source, join(env.storage, 'INBOX', name));
  await waitFor(
    async () => {
      await env.core.scanNow();
      return (await env.core.operator.listAssets()).some((a) => a.state !== 'DISCOVERED');
    },
    { timeoutMs: 20_000, what: 'the asset discovered' },
  );
  return configPath;
}
