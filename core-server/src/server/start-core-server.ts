// Starts one Core: marker + layout on the storage root, store (migrations run on open), HTTP
// listener, discovery timer and the sweeper (lease expiry, upload GC, window pruning). With
// several replicas on one database only the leader scans, sweeps and recovers (leadership.ts).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FeatureFlags } from '@retaia/protocol';
import { API_PREFIX } from '@retaia/protocol';
import pino from 'pino';
import { AttemptLimiter } from '../auth/attempt-limiter.js';
import { GuessGuard } from '../auth/guess-guard.js';
import { OPERATOR_USER_ID } from '../auth/device-flow.js';
import { hashPassword } from '../auth/secret-hash.js';
import { NONCE_WINDOW_MS } from '../auth/signed-request.js';
import { coreOptionsSchema, type CoreOptionsInput } from '../config/core-options.js';
import { InboxScanner, type ScanReport } from '../discovery/inbox-scanner.js';
import { buildApp } from '../http/build-app.js';
import { IDEMPOTENCY_WINDOW_MS } from '../http/idempotent.js';
import { recoverMoves, recoverPurges } from '../moves/index.js';
import { prepareStorageRoot, STORAGE_DIRS } from '../storage/storage-marker.js';
import { ensureReviewUiBuilt } from '../web/review-ui-bundle.js';
import type { AssetRecord } from '../store/records.js';
import { openCoreStore } from '../store/open-store.js';
import { takeServingLock } from './serving-lock.js';
import { collectExpiredUploads, finishInterruptedPublications } from '../uploads/upload-gc.js';
import { DEFAULT_FEATURE_FLAGS, type CoreContext } from './core-context.js';
import { describeAgents } from './describe-agents.js';
import { createLeadership, movesOfDeadOwners } from './leadership.js';
import { pruneSecurityRecords } from './prune-security-records.js';

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export interface CoreOperator {
  approveDevice(userCode: string): Promise<void>;
  denyDevice(userCode: string): Promise<void>;
  addUser(email: string, password: string): Promise<{ user_id: string; email: string }>;
  listAgents(): ReturnType<typeof describeAgents>;
  listAssets(): Promise<AssetRecord[]>;
  setFeatureFlag(name: string, on: boolean): void;
}

export interface RunningCoreServer {
  /** e.g. http://127.0.0.1:PORT — without /api/v1. */
  url: string;
  /** url + /api/v1 */
  apiUrl: string;
  port: number;
  close(): Promise<void>;
  scanNow(): Promise<ScanReport>;
  /** Lease expiry + upload GC now (tests use it instead of waiting for the sweeper). */
  sweepNow(): Promise<void>;
  operator: CoreOperator;
  /** The live context (store, flags, options); for tests and embedding. */
  context: CoreContext;
}

export async function startCoreServer(input: CoreOptionsInput): Promise<RunningCoreServer> {
  const {
    logger: givenLogger,
    moveHooks,
    demoAutoApproveDeviceFlow = false,
    initStorage = false,
    ...rest
  } = input;
  const options = coreOptionsSchema.parse({
    ...rest,
    storageRoot: path.resolve(rest.storageRoot),
    dataDir: path.resolve(rest.dataDir),
  });
  if (demoAutoApproveDeviceFlow && !isLoopbackHost(options.host)) {
    throw new Error(
      `demoAutoApproveDeviceFlow needs a loopback host (127.0.0.1, ::1 or localhost), not ${options.host}: anyone who can reach Core would receive agent credentials`,
    );
  }
  const logger = givenLogger ?? pino({ name: 'core-server' });
  await prepareStorageRoot(options.storageRoot, options.storageId, { init: initStorage });
  // SQLite: this process must be the only server on the database (./serving-lock.ts).
  const servingLock = options.databaseUrl ? undefined : takeServingLock(options.dataDir);
  const store = await openCoreStore({
    ...options,
    walCheckpointer: {
      onError: (err) =>
        logger.warn(
          { err },
          'the background WAL checkpointer stopped; SQLite checkpoints inside commits again',
        ),
    },
  }).catch((err: unknown) => {
    servingLock?.release();
    throw err;
  });
  const flags: FeatureFlags = { ...DEFAULT_FEATURE_FLAGS, ...options.featureFlags };
  const clock = () => Date.now();
  const owner = `core-${process.pid}-${randomUUID()}`;
  // One process keeps its budgets in memory; replicas share them through their database.
  const limiter = store.attemptBudgets?.(clock) ?? new AttemptLimiter(clock);
  const ctx: CoreContext = {
    store,
    options,
    flags,
    logger,
    clock,
    limiter,
    guesses: new GuessGuard(limiter, options.rateLimits, clock),
    demoAutoApproveDeviceFlow,
    baseUrl: '',
    moves: {
      storage: { root: options.storageRoot, storage_id: options.storageId, paths: STORAGE_DIRS },
      journal: store.moveJournal,
      assets: store.assetRecords(options.storageId),
      owner,
      now: () => new Date(clock()),
      lockTtlMs: options.assetLockTtlMs,
      logger,
      ...(moveHooks ? { hooks: moveHooks } : {}),
    },
  };
  const leadership = createLeadership({
    databaseUrl: options.databaseUrl,
    owner,
    leaseMs: options.leaderLeaseMs,
    logger,
  });
  // Finish (or roll back) moves and purges whose process died; a live replica finishes its own.
  // One recovery at a time: two would replay the same journal entry.
  let recovering: Promise<void> | undefined;
  const recoverDeadOwners = () =>
    (recovering ??= (async () => {
      const moves = movesOfDeadOwners(ctx.moves, leadership);
      const recovered = [...(await recoverMoves(moves)), ...(await recoverPurges(moves))];
      if (recovered.length) logger.warn({ recovered }, 'interrupted moves/purges recovered');
    })().finally(() => (recovering = undefined)));
  // The leader (SQLite: always this process) recovers what a crash left, before serving when it
  // leads at start, else when it takes over.
  await leadership.start({
    onAcquired: async () => {
      await finishInterruptedPublications(ctx);
      await recoverDeadOwners();
    },
  });
  if (options.buildReviewUi && !options.reviewUiDir) await ensureReviewUiBuilt(logger);

  const app = buildApp(ctx, options.tls);
  let address: string;
  try {
    address = await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await leadership.close();
    await store.close();
    servingLock?.release();
    throw err;
  }
  const port = (app.server.address() as { port: number }).port;
  const scheme = options.tls ? 'https' : 'http';
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  ctx.baseUrl =
    options.publicUrl?.replace(/\/$/, '') ??
    `${scheme}://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${port}`;
  logger.info(
    { address, storage_id: options.storageId, storage_root: options.storageRoot },
    'core-server listening',
  );

  const scanner = new InboxScanner(ctx);
  const sweep = async () => {
    const now = clock();
    const expired = await store.expireLeases(now);
    if (expired.length) logger.info({ job_ids: expired }, 'leases expired; jobs back to pending');
    await collectExpiredUploads(ctx);
    await store.pruneExpired(now, NONCE_WINDOW_MS, IDEMPOTENCY_WINDOW_MS);
    await pruneSecurityRecords(ctx);
  };
  let closed = false;
  // Background work runs on the leader only (followers serve HTTP).
  const guard = (what: string, fn: () => Promise<unknown>) => () => {
    if (closed || !leadership.isLeader()) return;
    fn().catch((err) => logger.error({ err }, `${what} failed`));
  };
  const sweepTimer = setInterval(
    guard('sweep', async () => {
      await sweep();
      await recoverDeadOwners(); // a replica that died mid-move: its journal entry is ours now
    }),
    options.sweepIntervalMs,
  );
  const scanTimer =
    options.scanIntervalMs > 0
      ? setInterval(
          guard('scan', () => scanner.scan()),
          options.scanIntervalMs,
        )
      : undefined;
  if (options.scanIntervalMs > 0) guard('scan', () => scanner.scan())();

  return {
    url: ctx.baseUrl,
    apiUrl: `${ctx.baseUrl}${API_PREFIX}`,
    port,
    context: ctx,
    scanNow: () => scanner.scan(),
    sweepNow: sweep,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweepTimer);
      if (scanTimer) clearInterval(scanTimer);
      await app.close();
      // A follower does not scan, not even this last time (another replica owns discovery).
      if (leadership.isLeader()) {
        await scanner
          .scan()
          .catch(() => undefined)
          .then(() => undefined);
      }
      await leadership.close();
      await store.close();
      servingLock?.release();
    },
    operator: {
      async approveDevice(userCode) {
        await store.approveDeviceFlow(userCode, OPERATOR_USER_ID, clock());
      },
      async denyDevice(userCode) {
        await store.denyDeviceFlow(userCode);
      },
      async addUser(email, password) {
        const u = await store.addUser(email, await hashPassword(password));
        return { user_id: u.user_id, email: u.email };
      },
      listAgents: () => describeAgents(ctx),
      listAssets: () => store.listAssets({ limit: 1_000_000, offset: 0 }),
      setFeatureFlag(name, on) {
        flags[name] = on;
      },
    },
  };
}
