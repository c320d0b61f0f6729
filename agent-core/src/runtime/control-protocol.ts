// The daemon's local control API: the one contract shared by the CLI, Electron main and the
// renderer's preload bridge. The daemon serves it over HTTP on a Unix socket (named pipe on
// Windows) or loopback with a bearer token read from a 0600 file. Neither the CLI nor the
// desktop app runs jobs; they only call these routes.
//
//   GET  /v1/status            -> StatusSnapshot
//   GET  /v1/jobs              -> JobsSnapshot
//   POST /v1/pause             {reason?: PauseReason}       -> StatusSnapshot
//   POST /v1/resume            {reason?: PauseReason}       -> StatusSnapshot
//   POST /v1/refresh                                         -> StatusSnapshot (poll/policy now)
//   POST /v1/capabilities/refresh                            -> StatusSnapshot (re-detect tools
//                              and models, then re-register with Core; call after a model change)
//   GET  /v1/models            -> ModelsView (installed whisper models, read-only)
//   GET  /v1/config            -> ConfigView (secrets redacted)
//   POST /v1/config/validate   {config: unknown}            -> ConfigValidation
//   PUT  /v1/config            {config: unknown}            -> ConfigValidation (applied only if ok)
//   POST /v1/mounts/validate   {storage_id, path}           -> MountValidation
//   POST /v1/enrol             {client_label?}              -> EnrolmentView (starts device flow)
//   GET  /v1/enrol             -> EnrolmentView
//   POST /v1/enrol/cancel      -> EnrolmentView
//   GET  /v1/diagnostics       -> {text: string} (redacted, copyable)
//   GET  /v1/events            -> text/event-stream of DaemonEvent (one JSON per `data:` line)
//   POST /v1/shutdown          -> {ok: true}

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
