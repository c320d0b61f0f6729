// `retaia-agent models …`: the whisper model inventory (ModelStore in processing/transcription).
// The CLI edits the store on disk itself (downloads can take minutes; the daemon need not run),
// then asks a running daemon to re-detect its capabilities and re-register with Core, so adding
// a model offers transcription and removing the last one withdraws it at once.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import type { AgentPaths } from '../config/agent-paths.js';
import type { InstalledModel, ModelStore } from '../processing/transcription/model-store.js';
import type { ModelCatalogueEntry } from '../processing/transcription/model-catalogue.js';
import type { DownloadProgress } from '../processing/transcription/model-download.js';
import { ControlClient } from '../runtime/control-client.js';

export interface ModelsCommandContext {
  paths(): AgentPaths;
  json(): boolean;
  print(value: unknown, human: () => string): void;
}

/**
 * A JSON catalogue (same fields as WHISPER_MODEL_CATALOGUE) replacing the built-in one: for a
 * local mirror on networks without Hugging Face access, and for tests. Hashes stay pinned.
 */
export const MODEL_CATALOGUE_ENV = 'RETAIA_AGENT_MODEL_CATALOGUE';

const catalogueSchema = z.array(
  z.object({
    name: z.string().min(1),
    description: z.string(),
    url: z.url(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    sizeBytes: z.number().int().positive(),
  }),
);

async function catalogueOverride(): Promise<ModelCatalogueEntry[] | undefined> {
  const file = process.env[MODEL_CATALOGUE_ENV];
  if (!file) return undefined;
  const parsed = catalogueSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${MODEL_CATALOGUE_ENV}=${file} is not a valid catalogue: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

async function openStore(paths: AgentPaths): Promise<ModelStore> {
  const { ModelStore } = await import('../processing/transcription/model-store.js');
  const catalogue = await catalogueOverride();
  return new ModelStore({ dataDir: paths.dataDir, ...(catalogue ? { catalogue } : {}) });
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
