// The daemon's brain, behind the control API: it implements the daemon's side of DaemonControl
// (control-protocol.ts) and wires the parts — the config in force (runtime-config.ts), the
// declared capabilities (runtime-capabilities.ts), the link to Core (core-connection.ts), the job
// scheduler (job-scheduler.ts), the device-flow enrolment (runtime-enrolment.ts) and the status
// (runtime-status.ts).
// Everything is driven by timers whose periods are injectable.
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { JobType } from '@retaia/protocol';
import type { AgentConfig } from '../config/config-schema.js';
import { validateMount } from '../config/storage-mount.js';
import type { AgentPaths } from '../config/agent-paths.js';
import type { BackoffOptions } from '../core-api/backoff.js';
import type { AgentIdentity, IdentityStore } from '../identity/agent-identity.js';
import type { SecretStore } from '../identity/secret-store.js';
import type { Processor } from '../processing/processor.js';
import type { AgentLogger } from './agent-logger.js';
import type {
  ConfigValidation,
  ConfigView,
  ControlHandlers,
  EnrolmentView,
  JobsSnapshot,
  ModelsView,
  MountValidation,
  PauseReason,
  StatusSnapshot,
} from './control-protocol.js';
import { CoreConnection } from './core-connection.js';
import type { DaemonEvents } from './daemon-events.js';
import { buildDiagnosticsText, ffmpegDiagnostics, videoEncoderDiagnostics } from './diagnostics.js';
import { HeldJobs } from './held-jobs.js';
import type { JobHistory } from './job-history.js';
import { JobScheduler } from './job-scheduler.js';
import { isWithinQuietHours } from './quiet-hours.js';
import { RuntimeCapabilities, type DetectCapabilities } from './runtime-capabilities.js';
import { RuntimeConfig } from './runtime-config.js';
import { RuntimeEnrolment } from './runtime-enrolment.js';
import { describeStatus } from './runtime-status.js';

export interface RuntimeIntervals {
  /** GET /app/policy period (default 30 s). */
  policyMs: number;
  /** Job poll period; default max(5 s, server min_poll_interval_seconds). */
  pollMs?: number;
  /** Lease heartbeat period (default 30 s). */
  heartbeatMs: number;
  /** How long running jobs may finish after a stop request before being aborted (default 10 s). */
  shutdownGraceMs: number;
  /** After the grace period, how long handing aborted jobs back to Core may take (default 5 s). */
  handBackMs: number;
  /** Base delay between register attempts while Core is unreachable (default 5 s). */
  reconnectMs: number;
  /** Floor of the device-flow poll interval (tests only; the server's interval still applies). */
  enrolPollMinMs?: number;
}

export const DEFAULT_INTERVALS: RuntimeIntervals = {
  policyMs: 30_000,
  heartbeatMs: 30_000,
  shutdownGraceMs: 10_000,
  handBackMs: 5_000,
  reconnectMs: 5_000,
};

export interface AgentRuntimeOptions {
  paths: AgentPaths;
  identityStore: IdentityStore;
  secretStore: SecretStore;
  identity: AgentIdentity;
  processors: Map<JobType, Processor>;
  detectCapabilities: DetectCapabilities;
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

export class AgentRuntime implements Omit<ControlHandlers, 'shutdown'> {
  private readonly settings: RuntimeConfig;
  private readonly capabilities: RuntimeCapabilities;
  private readonly pauseReasons = new Set<PauseReason>();
  private stopping = false;
  private stopped = false;
  private readonly startedAt = new Date().toISOString();
  private statusQueued = false;
  private readonly connection: CoreConnection;
  private readonly scheduler: JobScheduler;
  private readonly enrolmentFlow: RuntimeEnrolment;

  constructor(private readonly opts: AgentRuntimeOptions) {
    this.settings = new RuntimeConfig(opts.paths.configPath, opts.logger);
    this.capabilities = new RuntimeCapabilities(
      opts.detectCapabilities,
      opts.processors,
      opts.logger,
    );
    const changed = () => this.changed();
    // Both Core clients trust the same CA file and share the certificate pin (docs/agent-trust.md).
    const tls = () => ({ caFile: this.config.core_ca_file, dataDir: opts.paths.dataDir });
    this.enrolmentFlow = new RuntimeEnrolment({
      tls,
      identityStore: opts.identityStore,
      logger: opts.logger,
      events: opts.events,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.intervals.enrolPollMinMs !== undefined
        ? { pollMinMs: opts.intervals.enrolPollMinMs }
        : {}),
      onStarted: () => {
        this.connection.setEnrolling();
        this.changed();
      },
      onApproved: () => this.connection.reconnect(),
      onEnded: () => void this.connection.loadAuth().finally(changed),
    });
    this.connection = new CoreConnection({
      tls,
      identity: opts.identity,
      identityStore: opts.identityStore,
      agentVersion: opts.agentVersion,
      reconnectMs: opts.intervals.reconnectMs,
      policyMs: opts.intervals.policyMs,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      logger: opts.logger,
      events: opts.events,
      config: () => this.config,
      configProblem: () => this.configProblem,
      agentName: () => this.agentName,
      capabilities: () => this.capabilities.declared,
      enrolling: () => this.enrolmentFlow.pending,
      changed,
      onRegistered: (client) => void this.scheduler.onRegistered(client),
      onUnregistered: () => this.scheduler.clearPoll(),
    });
    this.scheduler = new JobScheduler({
      connection: this.connection,
      processors: opts.processors,
      config: () => this.config,
      mayClaim: () =>
        !this.stopping &&
        this.connection.auth.state === 'enrolled' &&
        this.pauseReasons.size === 0 &&
        !this.quietHoursActive(),
      ...(opts.intervals.pollMs !== undefined ? { pollMs: opts.intervals.pollMs } : {}),
      heartbeatMs: opts.intervals.heartbeatMs,
      logger: opts.logger,
      events: opts.events,
      history: opts.history,
      heldJobs: new HeldJobs(join(opts.paths.dataDir, 'held-jobs.json')),
      ...(opts.workRoot ? { workRoot: opts.workRoot } : {}),
      changed,
    });
  }

  private get config(): AgentConfig {
    return this.settings.config;
  }

  private get configProblem(): string | undefined {
    return this.settings.problem;
  }

  get agentName(): string {
    return this.config.agent_name ?? hostname();
  }

  /** The config in force (validated). */
  get currentConfig(): AgentConfig {
    return this.config;
  }

  get maxParallelJobs(): number {
    return this.scheduler.maxParallelJobs;
  }

  // ---------- lifecycle ----------

  /** Reads config, saved credentials and mounts: fast, before the control API answers. */
  async prepare(): Promise<void> {
    await this.settings.load();
    await this.connection.loadAuth();
  }

  /** Detects capabilities and connects to Core (in the background). */
  async start(): Promise<void> {
    await this.capabilities.detect();
    this.connection.reconnect();
  }

  /**
   * Re-runs capability detection (a model was added/removed, a tool path changed) and
   * re-registers so Core's view follows at once: a removed model withdraws transcription.
   */
  async refreshCapabilities(): Promise<StatusSnapshot> {
    if (this.stopping) return this.status();
    await this.capabilities.detect();
    if (this.stopping) return this.status();
    this.connection.narrowCapabilities(this.capabilities.declared);
    this.connection.reconnect();
    this.changed();
    return this.status();
  }

  async models(): Promise<ModelsView> {
    return this.opts.listModels ? this.opts.listModels() : { models: [] };
  }

  private quietHoursActive(): boolean {
    return (
      this.config.power_policy.respect_quiet_hours &&
      isWithinQuietHours(this.connection.policy?.quiet_hours)
    );
  }

  // ---------- control API ----------

  status(): StatusSnapshot {
    const c = this.connection;
    return describeStatus({
      stopping: this.stopping,
      stopped: this.stopped,
      ...(this.configProblem ? { configProblem: this.configProblem } : {}),
      ...(this.config.core_url ? { coreUrl: this.config.core_url } : {}),
      auth: c.auth,
      connection: c.connection,
      registered: c.registered,
      ...(c.registerProblem ? { registerProblem: c.registerProblem } : {}),
      pauseReasons: [...this.pauseReasons],
      quietHoursActive: this.quietHoursActive(),
      mountProblems: this.settings.mountProblems,
      identity: {
        agentId: this.opts.identity.agentId,
        agentName: this.agentName,
        agentVersion: this.opts.agentVersion,
        startedAt: this.startedAt,
      },
      capabilities: this.capabilities.declared,
      effectiveCapabilities: c.effectiveCapabilities,
      featureFlags: c.policy?.feature_flags ?? {},
      maxParallelJobs: this.maxParallelJobs,
      currentJobs: this.scheduler.views(),
    });
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
    return { current: this.scheduler.views(), history: this.opts.history.list() };
  }

  pause(reason: PauseReason = 'user'): StatusSnapshot {
    this.pauseReasons.add(reason);
    this.changed();
    return this.status();
  }

  resume(reason: PauseReason = 'user'): StatusSnapshot {
    this.pauseReasons.delete(reason);
    this.changed();
    this.scheduler.schedulePoll(0);
    return this.status();
  }

  async refresh(): Promise<StatusSnapshot> {
    if (!this.connection.registered && !this.stopping) {
      await this.settings.load();
      this.connection.reconnect();
    } else {
      await this.connection.refreshPolicy();
      this.scheduler.schedulePoll(0);
    }
    return this.status();
  }

  getConfig(): ConfigView {
    return {
      path: this.opts.paths.configPath,
      config: this.config,
      secretStore: { ...this.opts.secretStore.info },
    };
  }

  validateConfig(raw: unknown): ConfigValidation {
    return this.settings.validate(raw);
  }

  async saveConfig(raw: unknown): Promise<ConfigValidation> {
    const result = this.validateConfig(raw);
    if (!result.ok) {
      this.opts.events.notify(
        'settings_invalid',
        'Settings not applied',
        result.problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      );
      return result;
    }
    const previous = await this.settings.replace(raw);
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
      !this.connection.registered
    ) {
      this.connection.reconnect();
    }
    this.changed();
    return { ...result, config: this.config };
  }

  validateMount(storageId: string, path: string): Promise<MountValidation> {
    return validateMount(storageId, path);
  }

  // ---------- enrolment ----------

  enrolment(): EnrolmentView {
    return this.enrolmentFlow.current();
  }

  async startEnrolment(clientLabel?: string): Promise<EnrolmentView> {
    if (this.enrolmentFlow.pending) return this.enrolmentFlow.current();
    const coreUrl = this.config.core_url;
    if (!coreUrl || this.configProblem)
      return this.enrolmentFlow.refuse(
        this.configProblem ?? 'set core_url first: retaia-agent config set core_url https://…',
      );
    return this.enrolmentFlow.start(coreUrl, clientLabel ?? this.agentName);
  }

  cancelEnrolment(): EnrolmentView {
    return this.enrolmentFlow.cancel();
  }

  async diagnostics(): Promise<string> {
    return buildDiagnosticsText({
      status: this.status(),
      paths: this.opts.paths,
      config: this.config,
      configProblem: this.configProblem,
      capabilityProblems: this.capabilities.problems,
      secretStore: this.opts.secretStore.info,
      fingerprint: this.opts.identity.fingerprint,
      history: this.opts.history.list(20),
      ffmpeg: await ffmpegDiagnostics(this.config),
      videoEncoder: await videoEncoderDiagnostics(this.opts.processors),
    });
  }

  /**
   * Stops claiming; running jobs finish within the grace period or are handed back (failed,
   * retryable) within the hand-back budget. Bounded whatever Core does.
   */
  async stop(): Promise<void> {
    if (this.stopped || this.stopping) return;
    this.stopping = true;
    this.enrolmentFlow.cancel();
    this.changed();
    await this.scheduler.stop(this.opts.intervals.shutdownGraceMs, this.opts.intervals.handBackMs);
    this.connection.close();
    this.stopped = true;
    this.changed();
  }
}
