// What the desktop shell needs from the daemon's control API. The real implementation adapts
// agent-core's ControlClient; tests pass in-memory fakes. Keeping this narrow means the shell
// never grows its own runtime logic.
import type {
  ConfigValidation,
  ConfigView,
  DaemonEvent,
  EnrolmentView,
  JobsSnapshot,
  ModelsView,
  MountValidation,
  PauseReason,
  StatusSnapshot,
} from '@retaia/agent-core/runtime/control-protocol.js';

export interface DaemonControl {
  status(): Promise<StatusSnapshot>;
  jobs(): Promise<JobsSnapshot>;
  pause(reason?: PauseReason): Promise<StatusSnapshot>;
  resume(reason?: PauseReason): Promise<StatusSnapshot>;
  refresh(): Promise<StatusSnapshot>;
  refreshCapabilities(): Promise<StatusSnapshot>;
  models(): Promise<ModelsView>;
  getConfig(): Promise<ConfigView>;
  validateConfig(config: unknown): Promise<ConfigValidation>;
  saveConfig(config: unknown): Promise<ConfigValidation>;
  validateMount(storageId: string, path: string): Promise<MountValidation>;
  startEnrol(clientLabel?: string): Promise<EnrolmentView>;
  getEnrol(): Promise<EnrolmentView>;
  cancelEnrol(): Promise<EnrolmentView>;
  diagnostics(): Promise<string>;
  shutdown(): Promise<void>;
  /** The daemon's event stream; ends (or throws) when the connection drops. */
  events(signal: AbortSignal): AsyncIterable<DaemonEvent>;
}
