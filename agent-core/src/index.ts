// Public API of @retaia/agent-core (the desktop app and tests import from here).
export {
  startDaemon,
  DaemonAlreadyRunningError,
  type RunningDaemon,
  type StartDaemonOptions,
} from './runtime/daemon.js';
export { ControlClient, ControlApiError, DaemonNotRunningError } from './runtime/control-client.js';
export type * from './runtime/control-protocol.js';
export { DEFAULT_INTERVALS, type RuntimeIntervals } from './runtime/agent-runtime.js';
export { redactSecrets } from './runtime/diagnostics.js';
export {
  agentConfigSchema,
  validateAgentConfig,
  formatConfigProblems,
  normalizeCoreUrl,
  setConfigValue,
  parseConfigValue,
  DEFAULT_CONFIG,
  LOG_LEVELS,
  type AgentConfig,
  type AgentConfigInput,
  type ConfigFieldProblem,
  type ConfigValidationResult,
} from './config/config-schema.js';
export {
  loadConfigFile,
  saveConfigFile,
  ConfigError,
  type LoadedConfig,
} from './config/config-store.js';
export {
  resolveAgentPaths,
  defaultConfigPath,
  defaultDataDir,
  defaultControlSocketPath,
  type AgentPaths,
} from './config/agent-paths.js';
export { validateMount, resolveSourcePath, SourceResolutionError } from './config/storage-mount.js';
export { readRetaiaMarker, MarkerError, type RetaiaMarker } from './config/retaia-marker.js';
export {
  IdentityStore,
  IdentityError,
  type AgentIdentity,
  type ClientCredentials,
} from './identity/agent-identity.js';
export {
  openSecretStore,
  type SecretStore,
  type SecretStoreInfo,
} from './identity/secret-store.js';
export { CoreClient, type CoreClientOptions } from './core-api/core-client.js';
export {
  CoreApiError,
  LeaseLostError,
  AuthRequiredError,
  CoreUnreachableError,
  RequestAbortedError,
} from './core-api/core-api-errors.js';
export { Backoff } from './core-api/backoff.js';
export { uploadDerivedFile } from './core-api/derived-uploader.js';
export { runDeviceEnrolment, type EnrolmentOutcome } from './core-api/device-enrolment.js';
export { AGENT_VERSION } from './agent-version.js';
