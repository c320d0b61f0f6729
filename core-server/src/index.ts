// Public API of @retaia/core-server: start a Core in-process (tests, quick start) or via the CLI.
export {
  startCoreServer,
  type CoreOperator,
  type RunningCoreServer,
} from './server/start-core-server.js';
export type { CoreOptionsInput as StartCoreServerOptions } from './config/core-options.js';
export type { ScanReport } from './discovery/inbox-scanner.js';
export type { CoreStore } from './store/core-store.js';
export { OPERATOR_USER_ID } from './auth/device-flow.js';
