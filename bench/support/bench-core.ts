// A core-server for benches: a temp storage root with `photos` one-byte JPEGs in INBOX, no
// background scans or stability window, silent logs unless a logger is given. One starter for
// every bench, so they measure the same Core.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startCoreServer } from '../../core-server/src/index.js';

type CoreOptions = Parameters<typeof startCoreServer>[0];

export async function startBenchCore(
  prefix: string,
  photos: number,
  overrides: Partial<CoreOptions> = {},
) {
  const base = await mkdtemp(path.join(os.tmpdir(), prefix));
  const root = path.join(base, 'storage');
  await mkdir(path.join(root, 'INBOX'), { recursive: true });
  for (let i = 0; i < photos; i++) await writeFile(path.join(root, 'INBOX', `p${i}.jpg`), 'x');
  const server = await startCoreServer({
    storageRoot: root,
    initStorage: true,
    storageId: 'bench',
    dataDir: path.join(base, 'data'),
    port: 0,
    scanIntervalMs: 0,
    stabilityWindowMs: 0,
    deviceFlowIntervalSeconds: 0,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  return { base, root, server };
}
