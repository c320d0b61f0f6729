// Runs a daemon in its own process for tests that must kill it (kill -9). Options come as one
// JSON argument; the processor is the registry's extract_facts, optionally delayed so the test
// can kill the process mid-job. Prints "READY <endpoint>" once the control API listens.
// Like the CLI's foreground daemon it does not call process.exit: once stopped, the process must
// end by itself, so a shutdown that leaves work behind shows up as a slow exit.
import type { JobType } from '@retaia/protocol';
import { startDaemon } from '../../src/runtime/daemon.js';
import { createProcessors, detectMediaCapabilities } from '../../src/processing/registry.js';
import { ProcessingAbortedError, type Processor } from '../../src/processing/processor.js';

interface ChildOptions {
  configPath: string;
  dataDir: string;
  delayMs?: number;
  heartbeatMs?: number;
  shutdownGraceMs?: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const real = createProcessors();
const facts = real.get('extract_facts')!;
const delayed: Processor = {
  jobType: 'extract_facts',
  async run(ctx) {
    ctx.onProgress({ stage: 'waiting' });
    // Like a real processor, stop waiting when the job is aborted (shutdown, lost lease).
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, opts.delayMs ?? 0);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new ProcessingAbortedError(ctx.signal.reason));
      };
      if (ctx.signal.aborted) onAbort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    return facts.run(ctx);
  },
};
const daemon = await startDaemon({
  configPath: opts.configPath,
  dataDir: opts.dataDir,
  processors: new Map<JobType, Processor>([['extract_facts', delayed]]),
  detectCapabilities: () => detectMediaCapabilities(),
  intervals: {
    pollMs: 100,
    policyMs: 1000,
    heartbeatMs: opts.heartbeatMs ?? 500,
    ...(opts.shutdownGraceMs !== undefined ? { shutdownGraceMs: opts.shutdownGraceMs } : {}),
    reconnectMs: 100,
    enrolPollMinMs: 20,
  },
  backoff: { baseMs: 20, capMs: 200 },
  secretStore: 'file',
});
process.on('SIGTERM', () => void daemon.stop());
process.stdout.write(`READY ${daemon.controlEndpoint}\n`);
await daemon.stopped;
process.stdout.write('STOPPED\n');
// A stopped daemon that does not exit names what keeps it alive (stopChild() prints this output
// when it gives up waiting).
setTimeout(() => {
  const handles = (
    process as unknown as { _getActiveHandles(): { constructor?: { name?: string } }[] }
  )._getActiveHandles();
  const open = handles.map(
    (h: { constructor?: { name?: string } }) => h?.constructor?.name ?? typeof h,
  );
  process.stderr.write(`still alive 10 s after stopping; open handles: ${open.join(', ')}\n`);
}, 10_000).unref();
