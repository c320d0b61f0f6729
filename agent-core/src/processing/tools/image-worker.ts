// Worker-thread entry of the image pool (image-worker-pool.ts): runs image-worker-tasks.ts off
// the daemon's main thread and transfers pixel/JPEG buffers back without copying.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { WorkerRequest } from './image-worker-protocol.js';
import { runImageTask } from './image-worker-tasks.js';

// Decoding is background work: on Linux, where nice is per thread, this thread runs 10 steps
// below the daemon so that on a busy 2-core laptop the main thread (heartbeats, control API)
// gets the CPU first. Best effort: elsewhere, or when refused, the default priority stays.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) setPriority(tid, Math.min(19, getPriority() + 10));
} catch {
  // not Linux, or not permitted
}

parentPort!.on('message', (req: WorkerRequest) => {
  void runImageTask(req).then((reply) => {
    const out = reply.ok ? Object.values(reply.result).filter((v) => v instanceof ArrayBuffer) : [];
    parentPort!.postMessage(reply, out as ArrayBuffer[]);
  });
});
