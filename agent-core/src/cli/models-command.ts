// `retaia-agent models …`: the whisper model inventory (ModelStore in processing/transcription).
// The CLI edits the store on disk itself (downloads can take minutes; the daemon need not run),
// then asks a running daemon to re-detect its capabilities and re-register with Core, so adding
// a model offers transcription and removing the last one withdraws it at once.
import type { Command } from 'commander';
import type { AgentPaths } from '../config/agent-paths.js';
import type { InstalledModel, ModelStore } from '../processing/transcription/model-store.js';
import type { DownloadProgress } from '../processing/transcription/model-download.js';
import { ControlClient } from '../runtime/control-client.js';

export interface ModelsCommandContext {
  paths(): AgentPaths;
  json(): boolean;
  print(value: unknown, human: () => string): void;
}

/** Lazy: the store (zod, hashing) loads only for `models` commands. */
async function openStore(paths: AgentPaths): Promise<ModelStore> {
  const { openModelStore } = await import('../processing/transcription/open-model-store.js');
  return openModelStore(paths.dataDir);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function humanModel(m: InstalledModel): string {
  const state = m.available ? '' : `  UNAVAILABLE: ${m.problem ?? 'missing'}`;
  return `${m.active ? '*' : ' '} ${m.name.padEnd(16)} ${m.modelType.padEnd(8)} ${mib(m.sizeBytes).padStart(11)}  ${m.source.padEnd(10)} ${m.path}${state}`;
}

/** Tells a running daemon to re-detect capabilities; reports what it now declares. */
async function notifyDaemon(
  paths: AgentPaths,
): Promise<{ daemon: boolean; capabilities?: string[] }> {
  const client = new ControlClient(paths.controlSocketPath, 120_000);
  if (!(await client.isRunning())) return { daemon: false };
  const status = await client.refreshCapabilities();
  return { daemon: true, capabilities: status.capabilities };
}

function daemonNote(d: { daemon: boolean; capabilities?: string[] }): string {
  if (!d.daemon) return 'No daemon running: it will use this when it starts.';
  const speech = (d.capabilities ?? []).filter((c) => c.startsWith('speech.'));
  return `Daemon re-registered; transcription ${speech.length ? 'offered' : 'not offered'}.`;
}

/** Progress on stderr (stdout stays the result); a TTY gets one rewritten line. */
function progressPrinter(json: boolean): (p: DownloadProgress) => void {
  let lastPercent = -1;
  let lastAt = 0;
  return (p) => {
    const percent = p.percent ?? -1;
    const now = Date.now();
    if (percent === lastPercent || (now - lastAt < 500 && percent < 100)) return;
    lastPercent = percent;
    lastAt = now;
    if (json) {
      process.stderr.write(`${JSON.stringify({ progress: p })}\n`);
      return;
    }
    const resumed = p.resumedFromBytes ? ` (resumed at ${mib(p.resumedFromBytes)})` : '';
    const line = `downloading ${mib(p.receivedBytes)}${p.totalBytes ? ` / ${mib(p.totalBytes)}` : ''}${percent >= 0 ? ` ${percent.toFixed(0)}%` : ''}${resumed}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
  };
}

export function addModelsCommand(program: Command, ctx: ModelsCommandContext): void {
  const models = program
    .command('models')
    .description('whisper models for local transcription (list, add, download, use, remove)');

  models
    .command('list')
    .description('installed models (* = active) and the downloadable catalogue')
    .action(async () => {
      const store = await openStore(ctx.paths());
      const installed = await store.listModels();
      const catalogue = store.catalogue();
      ctx.print({ dir: store.dir, models: installed, catalogue }, () =>
        [
          `models in ${store.dir}:`,
          ...(installed.length
            ? installed.map(humanModel)
            : ['  (none: run "retaia-agent models download base")']),
          'downloadable:',
          ...catalogue.map((c) => `  ${c.name.padEnd(16)} ${c.description}`),
        ].join('\n'),
      );
    });

  models
    .command('add <path>')
    .description('register a ggml whisper model file you already have (used in place)')
    .option('--name <name>', 'name to use (default: the file name without ggml- and extension)')
    .option('--activate', 'make it the active model (default: only if none is active)')
    .action(async (path: string, o: { name?: string; activate?: boolean }) => {
      const paths = ctx.paths();
      const model = await (
        await openStore(paths)
      ).addModelFile(path, {
        ...(o.name ? { name: o.name } : {}),
        ...(o.activate ? { activate: true } : {}),
      });
      const daemon = await notifyDaemon(paths);
      ctx.print({ model, ...daemon }, () => `Added:\n${humanModel(model)}\n${daemonNote(daemon)}`);
    });

  models
    .command('download <name>')
    .description('download a catalogue model (resumes an interrupted download, SHA-256 checked)')
    .option('--activate', 'make it the active model (default: only if none is active)')
    .action(async (name: string, o: { activate?: boolean }) => {
      const paths = ctx.paths();
      const store = await openStore(paths);
      const abort = new AbortController();
      const onSigint = () => abort.abort(new Error('interrupted: run the same command to resume'));
      process.once('SIGINT', onSigint);
      try {
        const model = await store.download(name, {
          signal: abort.signal,
          onProgress: progressPrinter(ctx.json()),
          ...(o.activate ? { activate: true } : {}),
        });
        if (!ctx.json() && process.stderr.isTTY) process.stderr.write('\n');
        const daemon = await notifyDaemon(paths);
        ctx.print(
          { model, ...daemon },
          () => `Installed:\n${humanModel(model)}\n${daemonNote(daemon)}`,
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  models
    .command('use <name>')
    .description('make an installed model the active one')
    .action(async (name: string) => {
      const paths = ctx.paths();
      const store = await openStore(paths);
      await store.setActive(name);
      const model = (await store.listModels()).find((m) => m.name === name)!;
      const daemon = await notifyDaemon(paths);
      ctx.print({ model, ...daemon }, () => `Active:\n${humanModel(model)}\n${daemonNote(daemon)}`);
    });

  models
    .command('remove <name>')
    .description('forget a model (deletes the file only if the agent downloaded it)')
    .action(async (name: string) => {
      const paths = ctx.paths();
      const store = await openStore(paths);
      await store.removeModel(name);
      const active = await store.activeModel();
      const daemon = await notifyDaemon(paths);
      ctx.print(
        { removed: name, active: active?.name ?? null, ...daemon },
        () =>
          `Removed ${name}. Active model: ${active?.name ?? 'none (transcription off)'}\n${daemonNote(daemon)}`,
      );
    });
}
