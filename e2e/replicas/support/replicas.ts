// Several Core replicas (child processes, real HTTP on loopback) on one PostgreSQL database,
// sharing one storage root, as behind a load balancer (docs/replicas.md). The test process
// keeps its own store on the same database: the operator (device-flow approvals) and the
// auditor of what the replicas did.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  OPERATOR_USER_ID,
  type CoreStore,
  type RunningCoreServer,
  type StartCoreServerOptions,
} from '../../../core-server/src/index.js';
import { openCoreStore } from '../../../core-server/src/store/open-store.js';
import {
  CORE_LOCK_NAMESPACE,
  CORE_LOCKS,
} from '../../../core-server/src/store/postgres/pg-advisory-locks.js';

const REPLICA_ENTRY = fileURLToPath(new URL('./replica-process.ts', import.meta.url));
export const REPLICA_STORAGE_ID = 'replicas';
const START_TIMEOUT_MS = 90_000;

export interface Replica {
  index: number;
  apiUrl: string;
  pid: number;
  child: ChildProcess;
  /** False once the process exited (killed or crashed). */
  alive: boolean;
  exited: Promise<void>;
}

/** What TestAgent needs of a server: its URL (mutable: agents move on) and device approval. */
export type Endpoint = Pick<RunningCoreServer, 'apiUrl' | 'operator'>;

export interface ReplicaSet {
  replicas: Replica[];
  databaseUrl: string;
  storageRoot: string;
  inbox: string;
  /** The operator's own store on the replicas' database. */
  store: CoreStore;
  /** A fresh endpoint on replica `index` (approvals go through `store`). */
  endpoint(index: number): Endpoint;
  /** pid of the replica holding leadership (its advisory lock), if any. */
  leaderPid(): Promise<number | undefined>;
  /** SIGKILL: the crash under test. Resolves once the process is gone. */
  kill(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicaSetOptions {
  count: number;
  databaseUrl: string;
  /** startCoreServer options every replica gets (storage and database are set here). */
  core?: Partial<StartCoreServerOptions>;
}

function startReplica(index: number, options: StartCoreServerOptions): Promise<Replica> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', REPLICA_ENTRY, JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (process.env.RETAIA_REPLICA_LOG_LEVEL) process.stderr.write(`[replica ${index}] ${d}`);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica ${index} did not start within ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`replica ${index} exited (${code ?? signal}) before listening: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const { apiUrl, pid } = JSON.parse(line) as { apiUrl: string; pid: number };
      const replica: Replica = { index, apiUrl, pid, child, alive: true, exited };
      void exited.then(() => (replica.alive = false));
      resolve(replica);
    });
  });
}

export async function startReplicas(opts: ReplicaSetOptions): Promise<ReplicaSet> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'retaia-replicas-'));
  const storageRoot = path.join(base, 'storage');
  const inbox = path.join(storageRoot, 'INBOX');
  const options = (index: number): StartCoreServerOptions => ({
    rateLimits: { deviceStartsPerWindow: 10_000 },
    deviceFlowIntervalSeconds: 0,
    ...opts.core,
    storageRoot,
    storageId: REPLICA_STORAGE_ID,
    // Unused on PostgreSQL; separate so nothing could be shared through it by accident.
    dataDir: path.join(base, `data-${index}`),
    databaseUrl: opts.databaseUrl,
  });
  const replicas: Replica[] = [];
  let store: CoreStore | undefined;
  const stop = async () => {
    for (const r of replicas) if (r.alive) r.child.kill('SIGTERM');
    await Promise.all(
      replicas.map((r) =>
        Promise.race([r.exited, new Promise((t) => setTimeout(t, 10_000).unref())]).then(() => {
          if (r.alive) r.child.kill('SIGKILL');
          return r.exited;
        }),
      ),
    );
    await store?.close();
    await rm(base, { recursive: true, force: true });
  };
  try {
    // The first replica writes the storage marker (and applies migrations); the others join.
    replicas.push(await startReplica(0, { ...options(0), initStorage: true }));
    await mkdir(inbox, { recursive: true });
    replicas.push(
      ...(await Promise.all(
        Array.from({ length: opts.count - 1 }, (_, i) => startReplica(i + 1, options(i + 1))),
      )),
    );
    store = await openCoreStore({ dataDir: base, databaseUrl: opts.databaseUrl });
  } catch (err) {
    await stop();
    throw err;
  }
  const operatorStore = store;
  return {
    replicas,
    databaseUrl: opts.databaseUrl,
    storageRoot,
    inbox,
    store: operatorStore,
    endpoint(index) {
      return {
        apiUrl: replicas[index]!.apiUrl,
        operator: {
          async approveDevice(userCode: string) {
            await operatorStore.approveDeviceFlow(userCode, OPERATOR_USER_ID, Date.now());
          },
        } as RunningCoreServer['operator'],
      };
    },
    leaderPid: () => leaderPid(opts.databaseUrl),
    async kill(index) {
      const r = replicas[index]!;
      r.child.kill('SIGKILL');
      await r.exited;
    },
    stop,
  };
}

/** The pid in the application_name of the session holding the leader lock (leadership-postgres.ts). */
export async function leaderPid(databaseUrl: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ name: string }>(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted
          AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
          AND a.application_name LIKE 'retaia-core leadership pid %'`,
      [CORE_LOCK_NAMESPACE, CORE_LOCKS.leader],
    );
    const pid = r.rows[0]?.name.match(/pid (\d+)$/)?.[1];
    return pid ? Number(pid) : undefined;
  } finally {
    await client.end();
  }
}
