// Worker-thread entry of the image pool (image-worker-pool.ts): runs image-worker-tasks.ts off
// the daemon's main thread and transfers pixel/JPEG buffers back without copying.
import { parentPort } from 'node:worker_threads';
import type { WorkerRequest } from './image-worker-protocol.js';
import { runImageTask } from './image-worker-tasks.js';

parentPort!.on('message', (req: WorkerRequest) => {
  void runImageTask(req).then((reply) => {
    const out = reply.ok ? Object.values(reply.result).filter((v) => v instanceof ArrayBuffer) : [];
    parentPort!.postMessage(reply, out as ArrayBuffer[]);
  });
});
