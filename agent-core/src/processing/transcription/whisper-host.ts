// The whisper host: a child process that owns one loaded model and runs whisper.cpp for the
// agent. It exists so an abort can really stop the engine: the prebuilt addon's stop() neither
// interrupts a running window nor settles its promise, so a lease lost mid-window would leave the
// CPU busy for the rest of the window and the model unusable. Killing this process frees both at
// once. It talks over the IPC channel its parent opened (process.send / 'message').
import { loadWhisperAddon, type WhisperNativeContext } from './whisper-addon.js';
import type { FromHost, ToHost } from './whisper-host-protocol.js';

const send = (msg: FromHost) => process.send?.(msg);
let ctx: WhisperNativeContext | undefined;

async function onMessage(msg: ToHost): Promise<void> {
  if (msg.type === 'load') {
    const loaded = loadWhisperAddon();
    if (!loaded.addon) return void send({ type: 'load-failed', message: loaded.problem });
    try {
      // Keep whisper.cpp's chatter off the parent's stderr (its logs must stay JSON).
      loaded.addon.WhisperContext.toggleNativeLog(false);
      ctx = await new loaded.addon.WhisperContext({ filePath: msg.modelPath, useGpu: false });
      send({ type: 'loaded', engine: loaded.addon.packageName });
    } catch (err) {
      send({ type: 'load-failed', message: (err as Error).message });
    }
    return;
  }
  const { id } = msg;
  if (!ctx) return void send({ type: 'failed', id, message: 'no model loaded' });
  try {
    const pcm = msg.pcm16;
    const buffer = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength);
    const job = ctx.transcribeData(buffer as ArrayBuffer, {
      ...msg.options,
      onProgress: (percent: number) => send({ type: 'progress', id, percent }),
    });
    const r = await job.promise;
    send({
      type: 'result',
      id,
      result: {
        result: r.result,
        ...(r.language ? { language: r.language } : {}),
        segments: r.segments ?? [],
        isAborted: r.isAborted,
      },
    });
  } catch (err) {
    send({ type: 'failed', id, message: (err as Error).message });
  }
}

/** Starts serving the parent; the host ends with its IPC channel (parent gone) or a kill. */
export function serveWhisperHost(): void {
  process.on('message', (m) => void onMessage(m as ToHost));
  process.on('disconnect', () => process.exit(0));
}

// Run directly (forked from Node) rather than imported by the desktop app's dispatcher.
if (process.argv[1] && /whisper-host\.(ts|js|cjs|mjs)$/.test(process.argv[1])) serveWhisperHost();
