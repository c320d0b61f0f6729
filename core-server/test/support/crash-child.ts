// A core-server in its own process for crash tests: serves the given storage root and data dir,
// enrols `agents` facts-only agents, and reports their credentials to the parent over IPC, so the
// parent can drive signed load over HTTP and SIGKILL this process mid-load.
import pino from 'pino';
import { CAPABILITIES } from '@retaia/protocol';
import { startCoreServer } from '../../src/index.js';
import { TestAgent, testKey } from './signed-test-client.js';

export interface CrashChildPlan {
  storageRoot: string;
  dataDir: string;
  agents: number;
}
export interface CrashChildReady {
  apiUrl: string;
  privateKeyArmored: string;
  agents: { agentId: TestAgent['agentId']; token: string }[];
}

process.once('message', async (plan: CrashChildPlan) => {
  const server = await startCoreServer({
    storageRoot: plan.storageRoot,
    storageId: 'crash',
    initStorage: true,
    dataDir: plan.dataDir,
    port: 0,
    scanIntervalMs: 0,
    stabilityWindowMs: 0,
    deviceFlowIntervalSeconds: 0,
    rateLimits: { deviceStartsPerWindow: 1000 },
    logger: pino({ level: 'silent' }),
  });
  await server.scanNow();
  await server.scanNow();
  const agents: CrashChildReady['agents'] = [];
  for (let i = 0; i < plan.agents; i++) {
    const a = await TestAgent.enrol(server, { capabilities: [CAPABILITIES.facts] });
    agents.push({ agentId: a.agentId, token: a.token });
  }
  const ready: CrashChildReady = {
    apiUrl: server.apiUrl,
    privateKeyArmored: (await testKey()).privateKeyArmored,
    agents,
  };
  process.send!(ready);
});
