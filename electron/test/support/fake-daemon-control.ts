// An in-memory stand-in for the daemon's control API, for tests of the shell and the UI that
// must not depend on a real daemon. It keeps the same rules the daemon states in
// control-protocol.ts: reasons stack for pause, config is validated by the shared schema.
import { validateAgentConfig } from '@retaia/agent-core/config/config-schema.js';
import type {
  ConfigValidation,
  ConfigView,
  CurrentJobView,
  DaemonEvent,
  EnrolmentView,
  JobHistoryEntry,
  JobsSnapshot,
  ModelsView,
  MountValidation,
  PauseReason,
  StatusSnapshot,
} from '@retaia/agent-core/runtime/control-protocol.js';
import type { DaemonControl } from '@retaia/agent-core/runtime/control-protocol.js';

export class FakeDaemonControl implements DaemonControl {
  readonly calls: string[] = [];
  config: Record<string, unknown> = {
    core_url: 'http://127.0.0.1:8080/api/v1',
    storage_mounts: {},
    max_parallel_jobs: 1,
  };
  /** path → marker storage id; anything else fails validation. */
  readonly markers = new Map<string, string>();
  enrol: EnrolmentView = { state: 'idle' };
  current: CurrentJobView[] = [];
  history: JobHistoryEntry[] = [];
  pauseReasons = new Set<PauseReason>();
  quietHoursActive = false;
  auth: StatusSnapshot['auth'] = { state: 'enrolled', clientId: 'client-1' };
  modelsView: ModelsView = {
    dir: '/home/me/.local/share/retaia-agent/models/whisper',
    models: [
      {
        name: 'base',
        path: '/home/me/.local/share/retaia-agent/models/whisper/ggml-base.bin',
        sizeBytes: 147_951_465,
        sha256: 'a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002',
        active: true,
        source: 'downloaded',
        modelType: 'base',
        multilingual: false,
        available: true,
      },
      {
        name: 'small-broken',
        path: '/home/me/.local/share/retaia-agent/models/whisper/small-broken.bin',
        sizeBytes: 1_024,
        sha256: '0000000000000000000000000000000000000000000000000000000000000000',
        active: false,
        source: 'imported',
        modelType: 'small',
        multilingual: true,
        available: false,
        problem: 'not a ggml model (bad magic)',
      },
    ],
  };
  down = false;
  private readonly listeners = new Set<(e: DaemonEvent | null) => void>();

  private check(name: string): void {
    this.calls.push(name);
    if (this.down) throw new Error('connect ECONNREFUSED (fake daemon is down)');
  }

  snapshot(): StatusSnapshot {
    return {
      state: this.pauseReasons.size > 0 ? 'paused' : 'running',
      reason:
        this.pauseReasons.size > 0 ? `paused: ${[...this.pauseReasons].join(', ')}` : undefined,
      pauseReasons: [...this.pauseReasons],
      agentId: '7d6f0c1e-1111-4b1a-9a55-000000000001',
      agentName: 'studio-laptop',
      agentVersion: '0.1.0',
      pid: 4242,
      startedAt: '2025-01-01T08:00:00Z',
      coreUrl: typeof this.config.core_url === 'string' ? this.config.core_url : undefined,
      connection: { state: 'connected', since: '2025-01-01T08:00:01Z' },
      auth: this.auth,
      capabilities: ['media.facts@1'],
      effectiveCapabilities: ['media.facts@1'],
      featureFlags: {},
      maxParallelJobs: 1,
      currentJobs: [...this.current],
      quietHoursActive: this.quietHoursActive,
    };
  }

  emit(event: DaemonEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Ends every open event stream, as a daemon restart would. */
  dropStreams(): void {
    for (const l of this.listeners) l(null);
  }

  async status() {
    this.check('status');
    return this.snapshot();
  }
  async jobs(): Promise<JobsSnapshot> {
    this.check('jobs');
    return { current: [...this.current], history: [...this.history] };
  }
  async pause(reason: PauseReason = 'user') {
    this.check(`pause:${reason}`);
    this.pauseReasons.add(reason);
    this.emit({ type: 'status', status: this.snapshot() });
    return this.snapshot();
  }
  async resume(reason: PauseReason = 'user') {
    this.check(`resume:${reason}`);
    this.pauseReasons.delete(reason);
    this.emit({ type: 'status', status: this.snapshot() });
    return this.snapshot();
  }
  async refresh() {
    this.check('refresh');
    return this.snapshot();
  }
  async refreshCapabilities() {
    this.check('refreshCapabilities');
    return this.snapshot();
  }
  async models(): Promise<ModelsView> {
    this.check('models');
    return structuredClone(this.modelsView);
  }
  async getConfig(): Promise<ConfigView> {
    this.check('getConfig');
    return {
      path: '/home/me/.config/retaia-agent/config.json',
      config: structuredClone(this.config),
      secretStore: { kind: 'file', detail: 'a 0600 file' },
    };
  }
  async validateConfig(config: unknown): Promise<ConfigValidation> {
    this.check('validateConfig');
    const r = validateAgentConfig(config);
    return r.ok
      ? { ok: true, problems: [], config: r.config }
      : { ok: false, problems: r.problems };
  }
  async saveConfig(config: unknown): Promise<ConfigValidation> {
    this.check('saveConfig');
    const r = await this.validateConfig(config);
    if (r.ok) {
      this.config = r.config as Record<string, unknown>;
      this.emit({
        type: 'notification',
        kind: 'settings_saved',
        title: 'Settings saved',
        body: 'The new settings are applied.',
      });
    }
    return r;
  }
  async validateMount(storageId: string, path: string): Promise<MountValidation> {
    this.check('validateMount');
    const marker = this.markers.get(path);
    if (marker === undefined)
      return {
        ok: false,
        storageId,
        path,
        problem: `no .retaia marker in ${path}: mount the share root`,
      };
    if (marker !== storageId) {
      return {
        ok: false,
        storageId,
        path,
        marker: { version: 2, storage_id: marker },
        problem: `marker says "${marker}", not "${storageId}"`,
      };
    }
    return { ok: true, storageId, path, marker: { version: 2, storage_id: marker } };
  }
  async startEnrolment(): Promise<EnrolmentView> {
    this.check('startEnrolment');
    this.enrol = {
      state: 'pending',
      userCode: 'WDJB-MJHT',
      verificationUri: 'http://127.0.0.1:8080/device',
      verificationUriComplete: 'http://127.0.0.1:8080/device?user_code=WDJB-MJHT',
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
    };
    this.auth = { state: 'enrolling' };
    this.emit({ type: 'enrolment', enrolment: this.enrol });
    return this.enrol;
  }
  approveEnrolment(): void {
    this.enrol = { state: 'approved' };
    this.auth = { state: 'enrolled', clientId: 'client-2' };
    this.emit({ type: 'enrolment', enrolment: this.enrol });
    this.emit({ type: 'status', status: this.snapshot() });
  }
  async enrolment() {
    this.check('enrolment');
    return this.enrol;
  }
  async cancelEnrolment() {
    this.check('cancelEnrolment');
    this.enrol = { state: 'canceled' };
    this.emit({ type: 'enrolment', enrolment: this.enrol });
    return this.enrol;
  }
  async diagnostics() {
    this.check('diagnostics');
    return 'retaia-agent 0.1.0\nstate: running\ntoken: [redacted]';
  }
  async shutdown() {
    this.check('shutdown');
  }

  async *events(signal?: AbortSignal): AsyncIterable<DaemonEvent> {
    this.check('events');
    const queue: (DaemonEvent | null)[] = [];
    let wake: (() => void) | undefined;
    const listener = (e: DaemonEvent | null) => {
      queue.push(e);
      wake?.();
    };
    const onAbort = () => listener(null);
    this.listeners.add(listener);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const next = queue.shift();
        if (next === null || next === undefined) return;
        yield next;
      }
    } finally {
      this.listeners.delete(listener);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Starts a job and returns helpers to move it along. */
  startJob(job: Omit<CurrentJobView, 'startedAt'>): {
    progress(percent: number, stage?: string): void;
    finish(outcome?: JobHistoryEntry['outcome']): void;
  } {
    const view: CurrentJobView = { ...job, startedAt: new Date().toISOString() };
    this.current.push(view);
    this.emit({ type: 'job_progress', job: view });
    this.emit({ type: 'status', status: this.snapshot() });
    return {
      progress: (percent, stage) => {
        Object.assign(view, { percent, stage: stage ?? view.stage });
        this.emit({ type: 'job_progress', job: { ...view } });
      },
      finish: (outcome = 'completed') => {
        this.current = this.current.filter((j) => j.jobId !== view.jobId);
        const entry: JobHistoryEntry = {
          jobId: view.jobId,
          jobType: view.jobType,
          assetUuid: view.assetUuid,
          sourceName: view.sourceName,
          outcome,
          startedAt: view.startedAt,
          finishedAt: new Date().toISOString(),
          durationMs: Date.now() - Date.parse(view.startedAt),
          ...(outcome === 'failed'
            ? {
                errorCode: 'SOURCE_UNREADABLE',
                message: 'ffprobe could not read the file',
                retryable: false,
              }
            : {}),
        };
        this.history.unshift(entry);
        this.emit({ type: 'job_finished', entry });
        this.emit({ type: 'status', status: this.snapshot() });
      },
    };
  }
}
