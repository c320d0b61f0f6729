// Preloaded into every test file's process by scripts/run-tests.mjs. Once the file's tests have
// all finished, the process should exit on its own; when something is still alive (a server, a
// child process, a timer, a retry loop) it would otherwise sit there — possibly spinning — until
// the whole run is killed. After a grace period this names what is still open and fails the file.
//
// Two layers: an unref'd timer covers lingering handles while the event loop still turns; a
// worker thread covers a main thread stuck in a synchronous loop. Timers are not listed by
// process._getActiveHandles(), so setTimeout/setInterval remember where each was created.
import { after } from 'node:test';
import { Worker } from 'node:worker_threads';

const graceMs = Number(process.env.TEST_LINGER_MS ?? 20_000);

// Live timers and the line of code that created each (the first stack frame outside this file).
const timers = new Set();
function track(original, kind) {
  const tracked = function (...args) {
    const timer = original.apply(this, args);
    if (timer && typeof timer === 'object') {
      const frames = (new Error().stack ?? '').split('\n').slice(2);
      timer.__lingerOrigin = `${kind}${kind === 'setInterval' ? ` every ${args[1]} ms` : ''} at ${(frames[0] ?? '?').trim().replace(/^at /, '')}`;
      if (timers.size > 500) for (const t of timers) if (t._destroyed) timers.delete(t);
      timers.add(timer);
    }
    return timer;
  };
  // keeps util.promisify.custom and the like
  Object.defineProperties(tracked, Object.getOwnPropertyDescriptors(original));
  return tracked;
}
globalThis.setTimeout = track(globalThis.setTimeout, 'setTimeout');
globalThis.setInterval = track(globalThis.setInterval, 'setInterval');

function describeHandle(h) {
  const name = h?.constructor?.name ?? typeof h;
  try {
    if (name === 'Socket' || name === 'TLSSocket') {
      if (h.remoteAddress)
        return `${name} ${h.localAddress}:${h.localPort} -> ${h.remoteAddress}:${h.remotePort}`;
      if (h._pipeName || h.server?._pipeName)
        return `${name} pipe ${h._pipeName ?? h.server._pipeName}`;
      if (h._handle?.fd <= 2 && h._handle?.fd >= 0) return null; // stdio: always there
      return `${name}${h._isStdio ? ' (stdio)' : ''}`;
    }
    if (name === 'Server') {
      const a = h.address?.();
      return `Server listening on ${typeof a === 'string' ? a : a ? `${a.address}:${a.port}` : '?'}`;
    }
    if (name === 'ChildProcess')
      return `ChildProcess pid ${h.pid}: ${(h.spawnargs ?? []).join(' ').slice(0, 200)}`;
    if (name === 'Worker') return `Worker thread ${h.threadId}`;
  } catch {
    /* describe what we can */
  }
  return name;
}

function report() {
  const handles = process
    ._getActiveHandles()
    .map(describeHandle)
    .filter((d) => d !== null);
  for (const t of timers) if (!t._destroyed && t.hasRef?.()) handles.push(t.__lingerOrigin);
  const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  return [
    `test file ${process.argv[1] ?? ''} outlived its tests by ${graceMs / 1000} s; still open:`,
    ...handles.map((h) => `  - ${h}`),
    `  active resources: ${resources.join(', ') || 'none'}`,
  ].join('\n');
}

// The worker's code: the main thread did not exit even on the timer above, so it is stuck in
// synchronous code (its timers no longer run): say so and kill the process.
const watchdogSource = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
setTimeout(() => {
  writeSync(2, 'test file ' + workerData.file + ' is still running ' + (workerData.graceMs * 2) / 1000 +
    ' s after its tests ended and its main thread no longer runs timers: a synchronous busy loop\\n');
  process.kill(workerData.pid, 'SIGKILL');
}, workerData.graceMs * 2);
`;

after(() => {
  setTimeout(() => {
    console.error(report());
    process.exit(1);
  }, graceMs).unref();
  const worker = new Worker(watchdogSource, {
    eval: true,
    workerData: { pid: process.pid, graceMs, file: process.argv[1] ?? '' },
  });
  worker.unref();
});
