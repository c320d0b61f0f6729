// The daemon's brain: connects to Core (token, register), refreshes the policy, polls for jobs,
// claims what it can run, runs jobs in parallel up to the allowed limit, and keeps the state the
// control API reports. Everything here is driven by timers whose periods are injectable.
import { arch as osArch, hostname, release } from 'node:os';
import {
  featureFlagFor,
  hasAllCapabilities,
  JOB_TYPES,
  MEDIA_TYPES,
  requiredCapabilities,
  RequestSigner,
  type Arch,
  type ClaimedJob,
  type Job,
  type JobType,
  type OsName,
  type ServerPolicy,
} from '@retaia/protocol';
import { validateAgentConfig, type AgentConfig } from '../config/config-schema.js';
import { ConfigError, loadConfigFile, saveConfigFile } from '../config/config-store.js';
import { validateMount } from '../config/storage-mount.js';
import type { AgentPaths } from '../config/agent-paths.js';
import { sleep, type BackoffOptions, Backoff } from '../core-api/backoff.js';
import { AuthRequiredError } from '../core-api/core-api-errors.js';
import { CoreClient } from '../core-api/core-client.js';
import { runDeviceEnrolment } from '../core-api/device-enrolment.js';
import type { AgentIdentity, IdentityStore } from '../identity/agent-identity.js';
import type { SecretStore } from '../identity/secret-store.js';
import type { Processor } from '../processing/processor.js';
import type { AgentLogger } from './agent-logger.js';
import type {
  AuthState,
  ConfigValidation,
  ConfigView,
  ConnectionState,
  CurrentJobView,
  EnrolmentView,
  JobHistoryEntry,
  JobsSnapshot,
  ModelsView,
  MountValidation,
  PauseReason,
  StatusSnapshot,
} from './control-protocol.js';
import type { DaemonEvents } from './daemon-events.js';
import type { JobHistory } from './job-history.js';
import { runClaimedJob, ShutdownSignal } from './job-runner.js';
import { isWithinQuietHours } from './quiet-hours.js';
import { buildDiagnosticsText, ffmpegDiagnostics } from './diagnostics.js';

export interface RuntimeIntervals {
  /** GET /app/policy period (default 30 s). */
  policyMs: number;
  /** Job poll period; default max(5 s, server min_poll_interval_seconds). */
  pollMs?: number;
  /** Lease heartbeat period (default 30 s). */
  heartbeatMs: number;
  /** How long running jobs may finish after a stop request before being failed (default 10 s). */
  shutdownGraceMs: number;
  /** Base delay between register attempts while Core is unreachable (default 5 s). */
  reconnectMs: number;
  /** Floor of the device-flow poll interval (tests only; the server's interval still applies). */
  enrolPollMinMs?: number;
}

export const DEFAULT_INTERVALS: RuntimeIntervals = {
  policyMs: 30_000,
  heartbeatMs: 30_000,
  shutdownGraceMs: 10_000,
  reconnectMs: 5_000,
};

export interface AgentRuntimeOptions {
  paths: AgentPaths;
  identityStore: IdentityStore;
  secretStore: SecretStore;
  identity: AgentIdentity;
  processors: Map<JobType, Processor>;
  detectCapabilities(): Promise<{ capabilities: string[]; problems: string[] }>;
  /** Installed whisper models, for the control API (default: none). */
  listModels?(): Promise<ModelsView>;
  intervals: RuntimeIntervals;
  backoff?: BackoffOptions;
  logger: AgentLogger;
  events: DaemonEvents;
  history: JobHistory;
  agentVersion: string;
  workRoot?: string;
}

interface RunningJob {
  view: CurrentJobView;
  done: Promise<void>;
}

function osName(): OsName {
  return process.platform === 'darwin'
    ? 'macos'
    : process.platform === 'win32'
      ? 'windows'
      : 'linux';
}
function archName(): Arch {
  const a = osArch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'arm64' : a === 'arm' ? 'armv7' : 'other';
}

/** Capabilities some job type we can run may require (declare nothing we cannot deliver). */
function capabilitiesServedBy(processors: Map<JobType, Processor>): Set<string> {
  const out = new Set<string>();
  for (const type of JOB_TYPES) {
    if (!processors.has(type)) continue;
    for (const media of MEDIA_TYPES) for (const c of requiredCapabilities(type, media)) out.add(c);
  }
  return out;
}

export class AgentRuntime {
  private config: AgentConfig;
  private configProblem?: string;
  private client?: CoreClient;
  private policy?: ServerPolicy;
  private registered = false;
  private registerProblem?: string;
  private capabilities: string[] = [];
  private capabilityProblems: string[] = [];
  private effectiveCapabilities: string[] = [];
  private readonly pauseReasons = new Set<PauseReason>();
  private connection: { state: ConnectionState; since: string; lastError?: string } = {
    state: 'connecting',
    since: new Date().toISOString(),
  };
  private auth: { state: AuthState; clientId?: string } = { state: 'not_enrolled' };
  private enrolment: EnrolmentView = { state: 'idle' };
  private enrolmentAbort?: AbortController;
  private readonly running = new Map<string, RunningJob>();
  private connectionAbort = new AbortController();
  private readonly shutdownAbort = new AbortController();
  private policyTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private stopping = false;
  private stopped = false;
  private readonly startedAt = new Date().toISOString();
  private statusQueued = false;

  constructor(private readonly opts: AgentRuntimeOptions) {
    this.config = (validateAgentConfig({}) as { config: AgentConfig }).config;
  }

  get agentName(): string {
    return this.config.agent_name ?? hostname();
  }

  // ---------- lifecycle ----------

  async start(): Promise<void> {
    await this.loadConfig();
    await this.detectCapabilities();
    this.reconnect();
  }

  private async detectCapabilities(): Promise<void> {
    const detected = await this.opts
      .detectCapabilities()
      .catch((err: Error) => ({ capabilities: [], problems: [err.message] }));
    const served = capabilitiesServedBy(this.opts.processors);
    this.capabilities = detected.capabilities.filter((c) => served.has(c));
    this.capabilityProblems = detected.problems;
    for (const p of detected.problems)
      this.opts.logger.warn({ problem: p }, 'capability unavailable');
    this.opts.logger.info({ capabilities: this.capabilities }, 'capabilities detected');
  }

  /**
   * Re-runs capability detection (a model was added/removed, a tool path changed) and
   * re-registers so Core's view follows at once: a removed model withdraws transcription.
   */
  async refreshCapabilities(): Promise<StatusSnapshot> {
    if (this.stopping) return this.status();
    await this.detectCapabilities();
    if (this.stopping) return this.status();
    this.effectiveCapabilities = this.effectiveCapabilities.filter((c) =>
      this.capabilities.includes(c),
    );
    this.reconnect();
    this.changed();
    return this.status();
  }

  async models(): Promise<ModelsView> {
    return this.opts.listModels ? this.opts.listModels() : { models: [] };
  }

  /** Starts connect() in the background; an unexpected error degrades instead of crashing. */
  private reconnect(): void {
    this.connect().catch((err: Error) => {
      this.registerProblem = err.message;
      this.opts.logger.error({ error: err.message }, 'cannot connect to Core');
      this.changed();
    });
  }

  /** The config in force (validated). */
  get currentConfig(): AgentConfig {
    return this.config;
  }

  private async loadConfig(): Promise<void> {
    try {
      const loaded = await loadConfigFile(this.opts.paths.configPath);
      this.config = loaded.config;
      this.configProblem = undefined;
    } catch (err) {
      this.configProblem = err instanceof ConfigError ? err.message : String(err);
      this.opts.logger.error({ error: this.configProblem }, 'config invalid: not applied');
    }
    this.opts.logger.level = this.config.log_level;
  }

  /** (Re)connects: credentials → token → register → policy + poll timers. */
  private async connect(): Promise<void> {
    this.connectionAbort.abort();
    const abort = new AbortController();
    this.connectionAbort = abort;
    this.clearTimers();
    this.registered = false;
    this.registerProblem = undefined;
    this.client = undefined;
    const coreUrl = this.config.core_url;
    if (!coreUrl || this.configProblem) {
      this.changed();
      return;
    }
    const creds = await this.opts.identityStore.loadCredentials();
    if (!creds || (creds.coreUrl && creds.coreUrl !== coreUrl)) {
      this.auth = { state: this.enrolment.state === 'pending' ? 'enrolling' : 'not_enrolled' };
      this.changed();
      return;
    }
    this.auth = { state: 'enrolled', clientId: creds.clientId };
    const client = new CoreClient({
      baseUrl: coreUrl,
      signer: await RequestSigner.fromArmored(
        this.opts.identity.agentId,
        this.opts.identity.privateKeyArmored,
      ),
      credentials: async () => creds,
      tls: { caFile: this.config.core_ca_file, dataDir: this.opts.paths.dataDir },
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      logger: this.opts.logger,
      onConnectivity: (ok, error) => {
        if (abort.signal.aborted) return;
        this.onConnectivity(ok, error);
      },
      onAuthRejected: (message) => {
        if (abort.signal.aborted) return;
        this.onAuthRejected(message);
      },
    });
    this.client = client;
    const retry = new Backoff({ baseMs: this.opts.intervals.reconnectMs, capMs: 60_000 });
    while (!abort.signal.aborted && !this.stopping) {
      try {
        const res = await client.register(
          {
            agent_id: this.opts.identity.agentId,
            agent_name: this.agentName,
            agent_version: this.opts.agentVersion,
            openpgp_public_key: this.opts.identity.publicKeyArmored,
            openpgp_fingerprint: this.opts.identity.fingerprint,
            os_name: osName(),
            os_version: release(),
            arch: archName(),
            capabilities: this.capabilities,
            max_parallel_jobs: this.config.max_parallel_jobs,
          },
          abort.signal,
        );
        this.registered = true;
        this.registerProblem = undefined;
        this.effectiveCapabilities = res.effective_capabilities ?? this.capabilities;
        this.policy = res.server_policy;
        for (const w of res.capability_warnings ?? [])
          this.opts.logger.warn({ warning: w }, 'Core capability warning');
        this.opts.logger.info(
          { effective_capabilities: this.effectiveCapabilities },
          'registered with Core',
        );
        this.changed();
        this.policyTimer = setInterval(
          () => void this.refreshPolicy(),
          this.opts.intervals.policyMs,
        );
        this.schedulePoll(0);
        return;
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof AuthRequiredError) {
          this.onAuthRejected(err.message);
          return;
        }
        this.registerProblem = (err as Error).message;
        this.opts.logger.warn({ error: this.registerProblem }, 'register failed, retrying');
        this.changed();
        await sleep(retry.nextDelayMs(), abort.signal).catch(() => undefined);
      }
    }
  }

  private onConnectivity(ok: boolean, error?: string): void {
    const prev = this.connection.state;
    if (ok && prev !== 'connected') {
      this.connection = { state: 'connected', since: new Date().toISOString() };
      if (prev === 'disconnected')
        this.opts.events.notify(
          'reconnected',
          'Reconnected to Core',
          `Connection to ${this.config.core_url} restored`,
        );
      this.changed();
    } else if (!ok && prev !== 'disconnected') {
      this.connection = {
        state: 'disconnected',
        since: new Date().toISOString(),
        ...(error ? { lastError: error } : {}),
      };
      this.opts.events.notify(
        'disconnected',
        'Disconnected from Core',
        `Cannot reach ${this.config.core_url}; retrying`,
      );
      this.changed();
    } else if (!ok && error) {
      this.connection.lastError = error;
    }
  }

  private onAuthRejected(message: string): void {
    if (this.auth.state === 'reauth_required') return;
    this.auth = {
      state: 'reauth_required',
      ...(this.auth.clientId ? { clientId: this.auth.clientId } : {}),
    };
    this.registerProblem = message;
    this.clearTimers();
    this.opts.events.notify(
      'reauth_needed',
      'Enrolment needed',
      'Core refused this agent’s credentials: enrol again',
    );
    this.changed();
  }

  private clearTimers(): void {
    if (this.policyTimer) clearInterval(this.policyTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.policyTimer = undefined;
    this.pollTimer = undefined;
  }

  private async refreshPolicy(): Promise<void> {
    const client = this.client;
    if (!client || !this.registered) return;
    try {
      const res = await client.getPolicy(this.connectionAbort.signal);
      this.policy = res.server_policy;
      this.changed();
    } catch (err) {
      if (err instanceof AuthRequiredError) this.onAuthRejected(err.message);
      else this.opts.logger.debug({ error: (err as Error).message }, 'policy refresh failed');
    }
  }

  private pollPeriodMs(): number {
    if (this.opts.intervals.pollMs !== undefined) return this.opts.intervals.pollMs;
    return Math.max(5, this.policy?.min_poll_interval_seconds ?? 5) * 1000;
  }

  private schedulePoll(ms = this.pollPeriodMs()): void {
    if (this.stopping || !this.registered) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.pollOnce().finally(() => {
        if (!this.pollTimer) this.schedulePoll();
      });
    }, ms);
  }

  get maxParallelJobs(): number {
    const allowed = this.policy?.max_parallel_jobs_allowed;
    return Math.max(
      1,
      Math.min(this.config.max_parallel_jobs, allowed && allowed > 0 ? allowed : Infinity),
    );
  }

  private quietHoursActive(): boolean {
    return (
      this.config.power_policy.respect_quiet_hours && isWithinQuietHours(this.policy?.quiet_hours)
    );
  }

  private canClaim(): boolean {
    return (
      !this.stopping &&
      this.registered &&
      this.auth.state === 'enrolled' &&
      this.pauseReasons.size === 0 &&
      !this.quietHoursActive() &&
      this.running.size < this.maxParallelJobs
    );
  }

  /** Why this agent will not take `job` (undefined = it may). */
  private refusal(job: Job, validMounts: Set<string>): string | undefined {
    if (this.running.has(job.job_id)) return 'already running';
    if (!this.opts.processors.has(job.job_type)) return 'no processor';
    if (!hasAllCapabilities(this.effectiveCapabilities, job.required_capabilities ?? []))
      return 'missing capability';
    const flag = featureFlagFor(job.job_type);
    if (flag && this.policy?.feature_flags?.[flag] !== true) return `feature flag ${flag} off`;
    const allowed = this.policy?.allowed_job_types;
    if (allowed && !allowed.includes(job.job_type)) return 'job type not allowed by Core';
    if (!validMounts.has(job.source?.storage_id))
      return `no valid local mount for storage ${job.source?.storage_id}`;
    return undefined;
  }

  private async pollOnce(): Promise<void> {
    const client = this.client;
    if (!client || this.polling || !this.canClaim()) return;
    this.polling = true;
    try {
      const jobs = await client.listJobs(this.connectionAbort.signal);
      const validMounts = new Set<string>();
      const checked = new Set<string>();
      for (const job of jobs) {
        if (!this.canClaim()) break;
        const storageId = job.source?.storage_id;
        if (storageId && !checked.has(storageId)) {
          checked.add(storageId);
          const path = this.config.storage_mounts[storageId];
          if (path && (await validateMount(storageId, path)).ok) validMounts.add(storageId);
        }
        const refusal = this.refusal(job, validMounts);
        if (refusal) {
          this.opts.logger.trace({ job_id: job.job_id, reason: refusal }, 'job skipped');
          continue;
        }
        const claimed = await client.claimJob(job.job_id, this.connectionAbort.signal);
        if (!claimed) continue;
        this.startJob(claimed);
      }
    } catch (err) {
      if (err instanceof AuthRequiredError) this.onAuthRejected(err.message);
      else if (!this.connectionAbort.signal.aborted)
        this.opts.logger.debug({ error: (err as Error).message }, 'job poll failed');
    } finally {
      this.polling = false;
    }
  }

  private startJob(job: ClaimedJob): void {
    const client = this.client;
    const processor = this.opts.processors.get(job.job_type);
    if (!client || !processor) return;
    const entry: RunningJob = {
      view: {
        jobId: job.job_id,
        jobType: job.job_type,
        assetUuid: job.asset_uuid,
        sourceName: job.source.original_relative.split(/[\\/]/).pop() ?? '',
        stage: 'claimed',
        startedAt: new Date().toISOString(),
      },
      done: Promise.resolve(),
    };
    this.running.set(job.job_id, entry);
    this.opts.events.notify(
      'job_started',
      'Job started',
      `${job.job_type}: ${entry.view.sourceName}`,
    );
    let lastEmit = 0;
    entry.done = runClaimedJob(
      {
        client,
        processor,
        storageMounts: this.config.storage_mounts,
        logger: this.opts.logger,
        heartbeatIntervalMs: this.opts.intervals.heartbeatMs,
        featureFlags: this.policy?.feature_flags ?? {},
        ...(this.opts.workRoot ? { workRoot: this.opts.workRoot } : {}),
        onProgress: (view) => {
          entry.view = view;
          const now = Date.now();
          if (now - lastEmit >= 250) {
            lastEmit = now;
            this.opts.events.emit({ type: 'job_progress', job: view });
          }
        },
      },
      job,
      this.shutdownAbort.signal,
    ).then((result) => this.onJobFinished(result));
    this.changed();
  }

  private async onJobFinished(entry: JobHistoryEntry): Promise<void> {
    this.running.delete(entry.jobId);
    await this.opts.history.add(entry);
    this.opts.events.emit({ type: 'job_finished', entry });
    if (entry.outcome === 'failed') {
      this.opts.events.notify(
        'job_failed',
        'Job failed',
        `${entry.jobType} ${entry.sourceName}: ${entry.message ?? entry.errorCode ?? 'error'}`,
      );
    }
    if (this.running.size === 0 && !this.stopping)
      this.opts.events.notify('all_jobs_done', 'All jobs done', 'The agent is idle');
    this.changed();
    if (!this.stopping) this.schedulePoll(0);
  }

  // ---------- control API ----------

  status(): StatusSnapshot {
    const pauseReasons = [...this.pauseReasons];
    const quiet = this.quietHoursActive();
    if (quiet && !pauseReasons.includes('quiet_hours')) pauseReasons.push('quiet_hours');
    let state: StatusSnapshot['state'] = 'running';
    let reason: string | undefined;
    if (this.stopped || this.stopping) {
      state = 'stopped';
      reason = this.stopped ? 'stopped' : 'stopping: finishing running jobs';
    } else if (this.configProblem) {
      state = 'degraded';
      reason = this.configProblem;
    } else if (!this.config.core_url) {
      state = 'degraded';
      reason = 'no Core URL configured: run "retaia-agent config set core_url https://…"';
    } else if (this.auth.state !== 'enrolled') {
      state = 'degraded';
      reason =
        this.auth.state === 'reauth_required'
          ? `Core refused the credentials: enrol again (${this.registerProblem ?? ''})`.trim()
          : this.auth.state === 'enrolling'
            ? 'enrolment in progress: approve the code in the browser'
            : 'not enrolled: run "retaia-agent enrol"';
    } else if (this.connection.state === 'disconnected') {
      state = 'degraded';
      reason = `cannot reach Core (${this.connection.lastError ?? 'network error'})`;
    } else if (!this.registered) {
      state = 'degraded';
      reason = this.registerProblem
        ? `not registered: ${this.registerProblem}`
        : 'registering with Core';
    } else if (pauseReasons.length) {
      state = 'paused';
      reason = `paused (${pauseReasons.join(', ')})`;
    }
    return {
      state,
      ...(reason ? { reason } : {}),
      pauseReasons,
      agentId: this.opts.identity.agentId,
      agentName: this.agentName,
      agentVersion: this.opts.agentVersion,
      pid: process.pid,
      startedAt: this.startedAt,
      ...(this.config.core_url ? { coreUrl: this.config.core_url } : {}),
      connection: { ...this.connection },
      auth: { ...this.auth },
      capabilities: [...this.capabilities],
      effectiveCapabilities: [...this.effectiveCapabilities],
      featureFlags: { ...(this.policy?.feature_flags ?? {}) },
      maxParallelJobs: this.maxParallelJobs,
      currentJobs: [...this.running.values()].map((r) => ({ ...r.view })),
      quietHoursActive: quiet,
    };
  }

  /** Coalesces bursts of changes into one status event per tick. */
  private changed(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    setImmediate(() => {
      this.statusQueued = false;
      this.opts.events.emit({ type: 'status', status: this.status() });
    });
  }

  jobs(): JobsSnapshot {
    return {
      current: [...this.running.values()].map((r) => ({ ...r.view })),
      history: this.opts.history.list(),
    };
  }

  pause(reason: PauseReason = 'user'): StatusSnapshot {
    this.pauseReasons.add(reason);
    this.changed();
    return this.status();
  }

  resume(reason: PauseReason = 'user'): StatusSnapshot {
    this.pauseReasons.delete(reason);
    this.changed();
    this.schedulePoll(0);
    return this.status();
  }

  async refresh(): Promise<StatusSnapshot> {
    if (!this.registered && !this.stopping) {
      await this.loadConfig();
      this.reconnect();
    } else {
      await this.refreshPolicy();
      this.schedulePoll(0);
    }
    return this.status();
  }

  configView(): ConfigView {
    return {
      path: this.opts.paths.configPath,
      config: this.config,
      secretStore: { ...this.opts.secretStore.info },
    };
  }

  validateConfig(raw: unknown): ConfigValidation {
    const result = validateAgentConfig(raw);
    return result.ok
      ? { ok: true, problems: [], config: result.config }
      : { ok: false, problems: result.problems };
  }

  async putConfig(raw: unknown): Promise<ConfigValidation> {
    const result = this.validateConfig(raw);
    if (!result.ok) {
      this.opts.events.notify(
        'settings_invalid',
        'Settings not applied',
        result.problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      );
      return result;
    }
    const previous = this.config;
    this.config = await saveConfigFile(this.opts.paths.configPath, raw);
    this.configProblem = undefined;
    this.opts.logger.level = this.config.log_level;
    this.opts.events.notify(
      'settings_saved',
      'Settings saved',
      `Saved to ${this.opts.paths.configPath}`,
    );
    if (
      previous.ffmpeg_path !== this.config.ffmpeg_path ||
      previous.ffprobe_path !== this.config.ffprobe_path
    ) {
      // refreshCapabilities re-registers, which also covers the other changes below.
      void this.refreshCapabilities();
    } else if (
      previous.core_url !== this.config.core_url ||
      previous.agent_name !== this.config.agent_name ||
      !this.registered
    ) {
      this.reconnect();
    }
    this.changed();
    return { ...result, config: this.config };
  }

  validateMount(storageId: string, path: string): Promise<MountValidation> {
    return validateMount(storageId, path);
  }

  // ---------- enrolment ----------

  enrolmentView(): EnrolmentView {
    return { ...this.enrolment };
  }

  async startEnrolment(clientLabel?: string): Promise<EnrolmentView> {
    if (this.enrolment.state === 'pending') return this.enrolmentView();
    const coreUrl = this.config.core_url;
    if (!coreUrl || this.configProblem) {
      this.enrolment = {
        state: 'error',
        message:
          this.configProblem ?? 'set core_url first: retaia-agent config set core_url https://…',
      };
      return this.enrolmentView();
    }
    const abort = new AbortController();
    this.enrolmentAbort = abort;
    const client = new CoreClient({
      baseUrl: coreUrl,
      tls: { caFile: this.config.core_ca_file, dataDir: this.opts.paths.dataDir },
      logger: this.opts.logger,
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
    });
    this.enrolment = { state: 'pending', message: 'starting device flow' };
    this.auth = { state: 'enrolling' };
    this.changed();
    let startedResolve!: () => void;
    const started = new Promise<void>((r) => (startedResolve = r));
    void runDeviceEnrolment(client, {
      clientLabel: clientLabel ?? this.agentName,
      signal: abort.signal,
      ...(this.opts.intervals.enrolPollMinMs !== undefined
        ? { minIntervalMs: this.opts.intervals.enrolPollMinMs }
        : {}),
      onStarted: (s, core) => {
        this.enrolment = {
          state: 'pending',
          ...(core.certificateSha256 ? { coreCertificateSha256: core.certificateSha256 } : {}),
          userCode: s.user_code,
          verificationUri: s.verification_uri,
          verificationUriComplete: s.verification_uri_complete,
          expiresAt: new Date(Date.now() + s.expires_in * 1000).toISOString(),
          message: 'approve this code in the browser',
        };
        this.changed();
        startedResolve();
      },
    })
      .then(async (outcome) => {
        if (outcome.status === 'APPROVED') {
          await this.opts.identityStore.saveCredentials({
            clientId: outcome.clientId,
            secretKey: outcome.secretKey,
            coreUrl,
          });
          this.enrolment = { state: 'approved', message: 'enrolled' };
          this.opts.logger.info({ client_id: outcome.clientId }, 'enrolment approved');
          this.reconnect();
        } else {
          const state =
            outcome.status === 'DENIED'
              ? 'denied'
              : outcome.status === 'EXPIRED'
                ? 'expired'
                : 'canceled';
          this.enrolment = { state, message: `enrolment ${state}` };
          this.auth = {
            state: (await this.opts.identityStore.loadCredentials()) ? 'enrolled' : 'not_enrolled',
          };
        }
      })
      .catch((err: Error) => {
        this.enrolment = { state: 'error', message: err.message };
        this.auth = { state: 'not_enrolled' };
      })
      .finally(() => {
        startedResolve();
        this.changed();
      });
    await started;
    return this.enrolmentView();
  }

  cancelEnrolment(): EnrolmentView {
    this.enrolmentAbort?.abort();
    return this.enrolmentView();
  }

  async diagnostics(): Promise<string> {
    return buildDiagnosticsText({
      status: this.status(),
      paths: this.opts.paths,
      config: this.config,
      configProblem: this.configProblem,
      capabilityProblems: this.capabilityProblems,
      secretStore: this.opts.secretStore.info,
      fingerprint: this.opts.identity.fingerprint,
      history: this.opts.history.list(20),
      ffmpeg: await ffmpegDiagnostics(this.config),
    });
  }

  /** Stop claiming, let running jobs finish within the grace period, then fail them retryable. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopping = true;
    this.clearTimers();
    this.enrolmentAbort?.abort();
    this.changed();
    const pending = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (this.running.size) {
      this.opts.logger.info(
        { running: this.running.size, grace_ms: this.opts.intervals.shutdownGraceMs },
        'stopping: waiting for running jobs',
      );
      await Promise.race([pending(), sleep(this.opts.intervals.shutdownGraceMs)]);
    }
    if (this.running.size) {
      this.shutdownAbort.abort(new ShutdownSignal());
      await Promise.race([pending(), sleep(30_000)]);
    }
    this.connectionAbort.abort();
    this.stopped = true;
    this.changed();
  }
}
