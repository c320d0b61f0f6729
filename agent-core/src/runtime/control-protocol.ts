// The daemon's local control API: the one contract shared by the daemon (control-server.ts over
// AgentRuntime), the CLI and Electron main (control-client.ts), the desktop bridge and the test
// fakes. The daemon serves it over HTTP on a Unix socket (named pipe on Windows) that only the
// local user can open. Neither the CLI nor the desktop app runs jobs; they only call it.
//
// `DaemonControl` names each operation once; `CONTROL_ROUTES` says how each travels (method,
// path, body both ways). Both ends are built from these two, so a new operation is added here.

export type DaemonState = 'running' | 'paused' | 'stopped' | 'degraded';
export type PauseReason = 'user' | 'battery' | 'quiet_hours' | 'not_idle' | 'shutdown';
export type ConnectionState = 'connected' | 'connecting' | 'disconnected';
export type AuthState = 'not_enrolled' | 'enrolling' | 'enrolled' | 'reauth_required';

export interface CurrentJobView {
  jobId: string;
  jobType: string;
  assetUuid: string;
  /** File name of the source, for display. */
  sourceName: string;
  stage: string;
  percent?: number;
  startedAt: string;
}

export type JobOutcome = 'completed' | 'failed' | 'lease_lost' | 'aborted';

export interface JobHistoryEntry {
  jobId: string;
  jobType: string;
  assetUuid: string;
  sourceName: string;
  outcome: JobOutcome;
  errorCode?: string;
  message?: string;
  retryable?: boolean;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export interface StatusSnapshot {
  state: DaemonState;
  /** Human-readable reason when not plainly running (paused by whom, why degraded). */
  reason?: string;
  pauseReasons: PauseReason[];
  agentId: string;
  agentName: string;
  agentVersion: string;
  pid: number;
  startedAt: string;
  coreUrl?: string;
  connection: { state: ConnectionState; since: string; lastError?: string };
  auth: { state: AuthState; clientId?: string };
  capabilities: string[];
  effectiveCapabilities: string[];
  featureFlags: Record<string, boolean>;
  maxParallelJobs: number;
  currentJobs: CurrentJobView[];
  quietHoursActive?: boolean;
  /** Configured storage mounts that cannot be used (missing folder, no or wrong `.retaia`). */
  mountProblems?: MountProblem[];
}

export interface MountProblem {
  storageId: string;
  path: string;
  problem: string;
}

export interface JobsSnapshot {
  current: CurrentJobView[];
  history: JobHistoryEntry[];
}

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. "storage_mounts.nas-main". */
  field: string;
  message: string;
}

export interface ConfigValidation {
  ok: boolean;
  problems: FieldProblem[];
  /** Present when ok: the normalised config as it would be stored. */
  config?: unknown;
}

/** One installed whisper model (mirrors ModelStore's InstalledModel). */
export interface ModelView {
  name: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  active: boolean;
  source: 'downloaded' | 'imported';
  modelType: string;
  multilingual: boolean;
  available: boolean;
  problem?: string;
}

export interface ModelsView {
  /** Where models live (`<dataDir>/models/whisper`); absent when transcription cannot load. */
  dir?: string;
  models: ModelView[];
  /** Why the model store is unavailable, when it is. */
  problem?: string;
}

export interface ConfigView {
  path: string;
  config: unknown;
  secretStore: { kind: 'os-keychain' | 'file'; detail: string };
}

export interface MountValidation {
  ok: boolean;
  storageId: string;
  path: string;
  /** Marker contents when readable. */
  marker?: { version: number; storage_id: string; paths?: Record<string, string> };
  problem?: string;
}

export interface EnrolmentView {
  state: 'idle' | 'pending' | 'approved' | 'denied' | 'expired' | 'canceled' | 'error';
  userCode?: string;
  verificationUri?: string;
  verificationUriComplete?: string;
  expiresAt?: string;
  message?: string;
  /** SHA-256 of Core's TLS certificate, pinned at this first contact (https only). */
  coreCertificateSha256?: string;
}

export type NotificationKind =
  | 'job_started'
  | 'all_jobs_done'
  | 'job_failed'
  | 'disconnected'
  | 'reconnected'
  | 'reauth_needed'
  | 'settings_saved'
  | 'settings_invalid';

export type DaemonEvent =
  | { type: 'status'; status: StatusSnapshot }
  | { type: 'job_progress'; job: CurrentJobView }
  | { type: 'job_finished'; entry: JobHistoryEntry }
  /** Every change of the device-flow enrolment (started, code shown, approved, denied…). */
  | { type: 'enrolment'; enrolment: EnrolmentView }
  | { type: 'notification'; kind: NotificationKind; title: string; body: string };

/** The daemon's control API, as every caller sees it. */
export interface DaemonControl {
  status(): Promise<StatusSnapshot>;
  jobs(): Promise<JobsSnapshot>;
  /** Reasons stack: the daemon runs again only when every reason is resumed. */
  pause(reason?: PauseReason): Promise<StatusSnapshot>;
  resume(reason?: PauseReason): Promise<StatusSnapshot>;
  /** Polls the policy and the job queue now (reconnects first when not registered). */
  refresh(): Promise<StatusSnapshot>;
  /** Re-detects tools and models, then re-registers with Core (call after a model change). */
  refreshCapabilities(): Promise<StatusSnapshot>;
  /** Installed whisper models, read-only. */
  models(): Promise<ModelsView>;
  /** The config in force, secrets redacted. */
  getConfig(): Promise<ConfigView>;
  validateConfig(config: unknown): Promise<ConfigValidation>;
  /** Validates, then stores and applies the config only if it is valid. */
  saveConfig(config: unknown): Promise<ConfigValidation>;
  validateMount(storageId: string, path: string): Promise<MountValidation>;
  /** Starts the device flow; changes then arrive as `enrolment` events. */
  startEnrolment(clientLabel?: string): Promise<EnrolmentView>;
  enrolment(): Promise<EnrolmentView>;
  cancelEnrolment(): Promise<EnrolmentView>;
  /** Redacted, copyable diagnostics text. */
  diagnostics(): Promise<string>;
  shutdown(): Promise<void>;
  /** The daemon's events, the first one always a status; ends when `signal` aborts. */
  events(signal?: AbortSignal): AsyncIterable<DaemonEvent>;
}

/** The request/response operations (everything but the event stream). */
export type ControlMethod = Exclude<keyof DaemonControl, 'events'>;
type Args<K extends ControlMethod> = Parameters<DaemonControl[K]>;
type Result<K extends ControlMethod> = Awaited<ReturnType<DaemonControl[K]>>;

/** What the daemon side implements: the same operations, answered at once or later. */
export type ControlHandlers = {
  [K in ControlMethod]: (...args: Args<K>) => Result<K> | Promise<Result<K>>;
};

/** A request the daemon refuses (answered 400 with this message). */
export class ControlRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export interface ControlRoute<K extends ControlMethod> {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /** Client: the JSON body for these arguments (POST/PUT without one send `{}`). */
  body?(...args: Args<K>): Record<string, unknown>;
  /** Daemon: the arguments read back from the JSON body; throws ControlRequestError. */
  args?(body: Record<string, unknown>): Args<K>;
  /** The result's JSON form, when it is not the result itself. */
  toWire?(result: Result<K>): unknown;
  fromWire?(wire: unknown): Result<K>;
}

export const PAUSE_REASONS: readonly PauseReason[] = [
  'user',
  'battery',
  'quiet_hours',
  'not_idle',
  'shutdown',
];

const reasonBody = (reason?: PauseReason) => (reason ? { reason } : {});
const reasonArgs = (body: Record<string, unknown>): [PauseReason] => {
  if (body.reason === undefined) return ['user'];
  if (!PAUSE_REASONS.includes(body.reason as PauseReason))
    throw new ControlRequestError(`reason must be one of ${PAUSE_REASONS.join(', ')}`);
  return [body.reason as PauseReason];
};
const configBody = (config: unknown) => ({ config });
const configArgs = (body: Record<string, unknown>): [unknown] => [body.config];

export const CONTROL_ROUTES: { [K in ControlMethod]: ControlRoute<K> } = {
  status: { method: 'GET', path: '/v1/status' },
  jobs: { method: 'GET', path: '/v1/jobs' },
  pause: { method: 'POST', path: '/v1/pause', body: reasonBody, args: reasonArgs },
  resume: { method: 'POST', path: '/v1/resume', body: reasonBody, args: reasonArgs },
  refresh: { method: 'POST', path: '/v1/refresh' },
  refreshCapabilities: { method: 'POST', path: '/v1/capabilities/refresh' },
  models: { method: 'GET', path: '/v1/models' },
  getConfig: { method: 'GET', path: '/v1/config' },
  validateConfig: {
    method: 'POST',
    path: '/v1/config/validate',
    body: configBody,
    args: configArgs,
  },
  saveConfig: { method: 'PUT', path: '/v1/config', body: configBody, args: configArgs },
  validateMount: {
    method: 'POST',
    path: '/v1/mounts/validate',
    body: (storageId, path) => ({ storage_id: storageId, path }),
    args: (body) => {
      if (typeof body.storage_id !== 'string' || typeof body.path !== 'string')
        throw new ControlRequestError('body must be {"storage_id": string, "path": string}');
      return [body.storage_id, body.path];
    },
  },
  startEnrolment: {
    method: 'POST',
    path: '/v1/enrol',
    body: (clientLabel) => (clientLabel ? { client_label: clientLabel } : {}),
    args: (body) => [typeof body.client_label === 'string' ? body.client_label : undefined],
  },
  enrolment: { method: 'GET', path: '/v1/enrol' },
  cancelEnrolment: { method: 'POST', path: '/v1/enrol/cancel' },
  diagnostics: {
    method: 'GET',
    path: '/v1/diagnostics',
    toWire: (text) => ({ text }),
    fromWire: (wire) => (wire as { text: string }).text,
  },
  shutdown: {
    method: 'POST',
    path: '/v1/shutdown',
    toWire: () => ({ ok: true }),
    fromWire: () => undefined,
  },
};

/** `text/event-stream` of DaemonEvent, one JSON per `data:` line. */
export const EVENTS_ROUTE = { method: 'GET', path: '/v1/events' } as const;

export const CONTROL_METHODS = Object.keys(CONTROL_ROUTES) as ControlMethod[];
