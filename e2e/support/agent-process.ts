// One agent daemon in its own process, as users run it, but with test-speed intervals. The
// whole-system tests spawn several of these and kill -9 them. Options: one JSON argument.
// Prints "READY <control endpoint>" once the control API listens.
import { startDaemon } from '../../agent-core/src/runtime/daemon.js';

interface AgentProcessOptions {
  configPath: string;
  dataDir: string;
  controlSocketPath: string;
  heartbeatMs?: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as AgentProcessOptions;
const daemon = await startDaemon({
  configPath: opts.configPath,
  dataDir: opts.dataDir,
  controlSocketPath: opts.controlSocketPath,
  intervals: {
    pollMs: 200,
    policyMs: 2000,
    heartbeatMs: opts.heartbeatMs ?? 1000,
    reconnectMs: 200,
    enrolPollMinMs: 50,
    shutdownGraceMs: 2000,
  },
  backoff: { baseMs: 100, capMs: 1000 },
  secretStore: 'file',
});
process.on('SIGTERM', () => void daemon.stop());
process.stdout.write(`READY ${daemon.controlEndpoint}\n`);
await daemon.stopped;
process.exit(0);
