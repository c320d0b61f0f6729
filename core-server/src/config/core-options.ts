// Options of one running Core, validated once at the edge. The CLI builds them from flags, env
// (RETAIA_CORE_*) and an optional JSON file; tests and the quick start pass them directly.
import type pino from 'pino';
import type { MoveContext } from '../moves/index.js';
import { z } from 'zod';

export const coreOptionsSchema = z.object({
  storageRoot: z.string().min(1),
  storageId: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only'),
  dataDir: z.string().min(1),
  /** PostgreSQL instead of the SQLite file in dataDir (docs/postgresql.md). */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//i, 'must start with postgres:// or postgresql://')
    .optional(),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Public base URL used in verification links; defaults to the listening address. */
  publicUrl: z.string().url().optional(),
  leaseTtlSeconds: z.number().positive().default(120),
  stabilityWindowMs: z
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  scanIntervalMs: z.number().int().min(0).default(30_000),
  /** Sweeper period for lease expiry and upload GC. */
  sweepIntervalMs: z.number().int().positive().default(1_000),
  featureFlags: z.record(z.string(), z.boolean()).default({}),
  deviceFlowIntervalSeconds: z.number().int().min(0).default(5),
  deviceFlowTtlSeconds: z.number().int().positive().default(600),
  maxAttempts: z.number().int().min(1).default(3),
  maxPartSizeBytes: z
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  uploadTtlSeconds: z.number().int().positive().default(3600),
  /** GoPro/DJI low-res proxies and thumbnails as sidecars (docs/asset-states.md: only when enabled). */
  videoProxySidecars: z.boolean().default(false),
  minPollIntervalSeconds: z.number().int().min(1).default(5),
  maxParallelJobsAllowed: z.number().int().min(1).default(4),
  rateLimits: z
    .object({
      deviceStartsPerWindow: z.number().int().positive().default(20),
      /** Failed client-secret guesses per source IP and client_id. */
      tokenFailuresPerWindow: z.number().int().positive().default(5),
      /** Failed password guesses per source IP and e-mail. */
      loginFailuresPerWindow: z.number().int().positive().default(5),
      /** Login (or token) attempts per source IP over all accounts. */
      guessesPerIpPerWindow: z.number().int().positive().default(30),
      /** Failures of one account (from anywhere) before its attempts are paced. */
      accountFailuresBeforePacing: z.number().int().min(0).default(10),
      accountPaceBaseMs: z.number().int().positive().default(250),
      accountPaceMaxMs: z.number().int().positive().default(5_000),
      slowDownsBeforeBlock: z.number().int().positive().default(5),
      windowMs: z
        .number()
        .int()
        .positive()
        .default(10 * 60_000),
    })
    .prefault({}),
  tls: z.object({ cert: z.string(), key: z.string() }).optional(),
  /**
   * Addresses (IPs or CIDRs) of reverse proxies whose X-Forwarded-For is believed. Empty: the
   * header is ignored and the peer address is the client (per-IP budgets cannot be dodged).
   */
  trustedProxies: z.array(z.string().min(1)).default([]),
  /** Whole request (headers + body) must arrive within this time, or the connection is cut. */
  requestTimeoutMs: z.number().int().positive().default(120_000),
  /** Request headers must arrive within this time. */
  headersTimeoutMs: z.number().int().positive().default(20_000),
  /**
   * A connection on which nothing moves for this long is closed (idle sockets opened to hold
   * server resources; a paused video download simply re-requests its range).
   */
  connectionIdleTimeoutMs: z.number().int().positive().default(120_000),
  /** Unpublished (open, or completed but not submitted) derived uploads one agent may hold. */
  maxOpenUploadsPerAgent: z.number().int().positive().default(32),
  /** Sum of declared sizes of one agent's unpublished uploads (bytes staged on the NAS). */
  maxStagedBytesPerAgent: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 ** 3),
  /** Security events and finished device flows are kept this long, and at most this many. */
  securityEventRetentionDays: z.number().positive().default(30),
  maxSecurityEvents: z.number().int().positive().default(100_000),
  maxDeviceFlows: z.number().int().positive().default(10_000),
  /** Built review page served under /review/ (default core-server/review-ui/dist). */
  reviewUiDir: z.string().optional(),
  /** Build the review page at start when dist/ is missing or stale (needs dev dependencies). */
  buildReviewUi: z.boolean().default(true),
  /** Lock TTL of moves and purges (docs/asset-states.md: 300 s). */
  assetLockTtlMs: z.number().int().positive().default(300_000),
  /**
   * Replicas on PostgreSQL: a dead leader is replaced within half of this, a vanished one (no
   * connection close) within this (docs/replicas.md). Unused on SQLite.
   */
  leaderLeaseMs: z.number().int().min(200).default(10_000),
});

export type CoreOptionsInput = z.input<typeof coreOptionsSchema> & {
  logger?: pino.Logger;
  /**
   * Demo only: approve every device flow without a human. Deliberately not a config key or
   * environment variable (a config file cannot turn it on), and refused unless `host` is a
   * loopback address, so only a program starting Core on its own machine can use it.
   */
  demoAutoApproveDeviceFlow?: boolean;
  /**
   * Create a missing storage root and make a folder without `.retaia` marker a storage root.
   * Off by default, and on purpose not a config key: a long-lived setting would recreate the
   * tree on the system disk whenever the NAS volume is not mounted (docs/storage-safety.md).
   */
  initStorage?: boolean;
  /** Fault injection between move/purge steps (tests only; see MoveContext.hooks). */
  moveHooks?: MoveContext['hooks'];
};
export type CoreOptions = z.output<typeof coreOptionsSchema>;
