// core-server for `npm start` only: the same server as `core-server serve --config FILE`, plus
// device-flow auto-approval so the demo's agent enrols without a human. That option exists only
// programmatically (no config key, no environment variable) and startCoreServer refuses it
// unless Core listens on loopback — see docs/core-security.md.
import { parseArgs } from 'node:util';
import { loadCliConfig } from '../core-server/src/config/load-cli-config.js';
import { startCoreServer } from '../core-server/src/index.js';

const { values } = parseArgs({
  options: { config: { type: 'string' }, 'init-storage': { type: 'boolean', default: false } },
});
if (!values.config) throw new Error('usage: demo-core.ts --config FILE [--init-storage]');
const options = loadCliConfig({ config: values.config });
const server = await startCoreServer({
  ...options,
  demoAutoApproveDeviceFlow: true,
  initStorage: values['init-storage'],
});
process.stdout.write(
  `core-server (demo, auto-approving local agents) listening on ${server.apiUrl}\n`,
);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
