// The daemon process the desktop app starts when none is running (the app executable with
// --retaia-daemon loads this bundle; see daemon-process.ts). It is the same startDaemon() the
// CLI and OS services use; the app itself never runs jobs.
import { DaemonAlreadyRunningError, startDaemon } from '@retaia/agent-core/runtime/daemon.js';

async function main(): Promise<void> {
  try {
    const daemon = await startDaemon({ applyCpuPriority: true });
    const stop = () => void daemon.stop();
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    await daemon.stopped;
    process.exit(0);
  } catch (err) {
    // Another daemon won the race: that one is the runtime, this process just leaves.
    if (err instanceof DaemonAlreadyRunningError) process.exit(0);
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

void main();
