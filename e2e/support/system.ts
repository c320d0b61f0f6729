// Whole-system harness: a real core-server (in this process, real SQLite — or PostgreSQL under
// e2e/postgres/, see database-backend.ts — and HTTP on loopback)
// over a temp storage root, and real agent daemons in child processes (real ffmpeg), enrolled
// through the device flow. Tests drive it like a user: drop files in INBOX, watch states.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { waitFor as pollUntil } from '@retaia/protocol/testing/wait-for.js';
import pino from 'pino';
import { startCoreServer, type RunningCoreServer } from '../../core-server/src/index.js';
import { ControlClient } from '../../agent-core/src/runtime/control-client.js';
import { newDatabaseUrl } from './database-backend.js';

const AGENT_ENTRY = fileURLToPath(new URL('./agent-process.ts', import.meta.url));
export const STORAGE_ID = 'nas-e2e';
const OPERATOR = { email: 'op@e2e.local', password: 'e2e-password' };

export const SETTLED_STATES = new Set([
  'DECISION_PENDING',
  'REVIEW_PENDING_PROFILE',
  'DECIDED_KEEP',
  'DECIDED_REJECT',
  'ARCHIVED',
  'REJECTED',
]);

export interface SystemOptions {
  leaseTtlSeconds?: number;
  maxAttempts?: number;
  maxPartSizeBytes?: number;
  featureFlags?: Record<string, boolean>;
  /** How long a file must stay untouched before READY (default 0: two equal scans suffice). */
  stabilityWindowMs?: number;
}

export interface AgentHandle {
  name: string;
  child: ChildProcess;
  control: ControlClient;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export interface AssetView {
  uuid: string;
  name?: string;
  state: string;
  media_type: string;
}

export class System {
  server!: RunningCoreServer;
  token = '';
  readonly agents: AgentHandle[] = [];
  private port = 0;

  private constructor(
    readonly root: string,
    readonly storageRoot: string,
    private readonly opts: SystemOptions,
    /** PostgreSQL catalogue of this System, kept across restartServer(); undefined: SQLite. */
    private readonly databaseUrl: string | undefined,
  ) {}

  static async start(opts: SystemOptions = {}): Promise<System> {
    const root = await mkdtemp(join(tmpdir(), 'retaia-e2e-'));
    const storageRoot = join(root, 'storage');
    await mkdir(join(storageRoot, 'INBOX'), { recursive: true });
    const sys = new System(root, storageRoot, opts, await newDatabaseUrl());
    await sys.startServer();
    await sys.server.operator.addUser(OPERATOR.email, OPERATOR.password);
    await sys.login();
    return sys;
  }

  get inbox(): string {
    return join(this.storageRoot, 'INBOX');
  }

  get coreUrl(): string {
    return this.server.url;
  }

  private async startServer() {
    this.server = await startCoreServer({
      storageRoot: this.storageRoot,
      initStorage: true,
      storageId: STORAGE_ID,
      dataDir: join(this.root, 'core'),
      ...(this.databaseUrl ? { databaseUrl: this.databaseUrl } : {}),
      port: this.port,
      demoAutoApproveDeviceFlow: true,
      deviceFlowIntervalSeconds: 0,
      stabilityWindowMs: this.opts.stabilityWindowMs ?? 0,
      scanIntervalMs: 250,
      leaseTtlSeconds: this.opts.leaseTtlSeconds ?? 120,
      maxAttempts: this.opts.maxAttempts ?? 3,
      ...(this.opts.maxPartSizeBytes ? { maxPartSizeBytes: this.opts.maxPartSizeBytes } : {}),
      featureFlags: this.opts.featureFlags ?? {},
      logger: pino({ level: 'silent' }),
    });
    this.port = this.server.port;
  }

  /** Stops core-server and starts it again on the same port and data (a NAS reboot). */
  async restartServer(downMs = 0): Promise<void> {
    await this.server.close();
    if (downMs) await sleep(downMs);
    await this.startServer();
    await this.login();
  }

  async login(): Promise<void> {
    const res = await fetch(`${this.server.apiUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...OPERATOR, client_kind: 'UI_WEB' }),
    });
    if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { access_token: string }).access_token;
  }

  async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.server.apiUrl}${path}`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async download(url: string, to: string): Promise<string> {
    const full = url.startsWith('http') ? url : `${this.server.url}${url}`;
    const res = await fetch(full, { headers: { authorization: `Bearer ${this.token}` } });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
    await writeFile(to, Buffer.from(await res.arrayBuffer()));
    return to;
  }

  async assets(): Promise<AssetView[]> {
    const out: AssetView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: AssetView[]; next_cursor?: string | null }>(
        `/assets?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }

  /** Waits until `expected` assets exist and all are in a settled state. */
  async waitSettled(expected: number, timeoutMs: number): Promise<AssetView[]> {
    let last: AssetView[] = [];
    await waitFor(
      async () => {
        last = await this.assets();
        return last.length >= expected && last.every((a) => SETTLED_STATES.has(a.state));
      },
      timeoutMs,
      () => `assets not settled: ${JSON.stringify(countBy(last.map((a) => a.state)))}`,
    );
    return last;
  }

  /** Starts an agent daemon process, enrols it (auto-approved) and waits until it runs. */
  async spawnAgent(
    name: string,
    opts: { coreUrl?: string; heartbeatMs?: number; maxParallelJobs?: number } = {},
  ) {
    const dir = join(this.root, `agent-${name}`);
    await mkdir(dir, { recursive: true });
    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        core_url: `${opts.coreUrl ?? this.server.url}/api/v1`,
        agent_name: name,
        storage_mounts: { [STORAGE_ID]: this.storageRoot },
        max_parallel_jobs: opts.maxParallelJobs ?? 2,
        log_level: 'info',
      }),
    );
    const socket = join(dir, 'agent.sock');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        AGENT_ENTRY,
        JSON.stringify({
          configPath,
          dataDir: join(dir, 'data'),
          controlSocketPath: socket,
          heartbeatMs: opts.heartbeatMs,
        }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      async () => /READY /.test(out) || child.exitCode !== null,
      60_000,
      () => out,
    );
    if (child.exitCode !== null) throw new Error(`agent ${name} exited:\n${out.slice(-3000)}`);
    const control = new ControlClient(socket, 5000);
    if ((await control.status()).auth.state !== 'enrolled') {
      await control.startEnrolment(`e2e ${name}`);
      await waitFor(
        async () => (await control.status()).auth.state === 'enrolled',
        30_000,
        () => out.slice(-2000),
      );
    }
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const handle: AgentHandle = {
      name,
      child,
      control,
      output: () => out,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
      async kill9() {
        child.kill('SIGKILL');
        await exited;
      },
    };
    this.agents.push(handle);
    return handle;
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop().catch(() => undefined)));
    await this.server.close().catch(() => undefined);
    if (!process.env.RETAIA_E2E_KEEP) await rm(this.root, { recursive: true, force: true });
  }
}

export function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export { sleep };

/** Whole-system checks are slow (HTTP round trips, processes): they are polled every 200 ms. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  describe: () => string = () => '',
): Promise<void> {
  await pollUntil(check, { timeoutMs, intervalMs: 200, what: describe });
}
