// The whisper models this agent knows: downloaded from the catalogue into the app data dir, or
// files the user pointed at (referenced in place, never copied: they can be gigabytes). One model
// is active; the transcription capability exists only while it loads. The inventory lives in
// `<dataDir>/models/whisper/models.json`, written atomically.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { readGgmlWhisperHeader } from './ggml-model-header.js';
import { WHISPER_MODEL_CATALOGUE, type ModelCatalogueEntry } from './model-catalogue.js';
import { downloadVerifiedFile, type DownloadProgress } from './model-download.js';

export interface ModelStoreOptions {
  /** The agent's app data directory; models go to `<dataDir>/models/whisper`. */
  dataDir: string;
  catalogue?: readonly ModelCatalogueEntry[];
}

export interface InstalledModel {
  name: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  active: boolean;
  source: 'downloaded' | 'imported';
  /** tiny/base/small/medium/large/custom, from the header. */
  modelType: string;
  multilingual: boolean;
  /** False when the file vanished or changed size since it was registered. */
  available: boolean;
  problem?: string;
}

export type ModelStoreErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_NAME_TAKEN'
  | 'MODEL_INVALID'
  | 'UNKNOWN_CATALOGUE_MODEL'
  | 'MODEL_STORE_CORRUPT';

export class ModelStoreError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: ModelStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelStoreError';
  }
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const entrySchema = z.object({
  name: z.string().regex(NAME_RE),
  path: z.string().min(1),
  size_bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  source: z.enum(['downloaded', 'imported']),
  model_type: z.string(),
  multilingual: z.boolean(),
  added_at: z.string(),
});
const registrySchema = z.object({
  version: z.literal(1),
  active: z.string().nullable(),
  models: z.array(entrySchema),
});
type Registry = z.infer<typeof registrySchema>;
type Entry = z.infer<typeof entrySchema>;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

export class ModelStore {
  readonly dir: string;
  private readonly registryPath: string;
  private readonly catalogueEntries: readonly ModelCatalogueEntry[];
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: ModelStoreOptions) {
    this.dir = join(resolve(opts.dataDir), 'models', 'whisper');
    this.registryPath = join(this.dir, 'models.json');
    this.catalogueEntries = opts.catalogue ?? WHISPER_MODEL_CATALOGUE;
  }

  catalogue(): readonly ModelCatalogueEntry[] {
    return this.catalogueEntries;
  }

  async listModels(): Promise<InstalledModel[]> {
    const reg = await this.read();
    return Promise.all(reg.models.map((e) => this.describe(e, reg.active)));
  }

  /** The active model, if any (check `available` before loading it). */
  async activeModel(): Promise<InstalledModel | undefined> {
    return (await this.listModels()).find((m) => m.active);
  }

  /**
   * Registers a ggml model file the user already has (validated by its header, hashed, used in
   * place). Becomes active when no model is active yet, or when `activate` is set.
   */
  async addModelFile(
    path: string,
    opts: { name?: string; activate?: boolean } = {},
  ): Promise<InstalledModel> {
    if (!isAbsolute(path)) path = resolve(path);
    let header;
    try {
      header = await readGgmlWhisperHeader(path);
    } catch (err) {
      throw new ModelStoreError('MODEL_INVALID', (err as Error).message, { cause: err });
    }
    const name = opts.name ?? basename(path, extname(path)).replace(/^ggml-/, '');
    this.assertName(name);
    const [size, sha256] = await Promise.all([stat(path).then((s) => s.size), sha256File(path)]);
    const { result, active } = await this.mutate(async (reg) => {
      if (reg.models.some((m) => m.name === name)) {
        throw new ModelStoreError(
          'MODEL_NAME_TAKEN',
          `a model named "${name}" already exists; choose another name`,
        );
      }
      const entry: Entry = {
        name,
        path,
        size_bytes: size,
        sha256,
        source: 'imported',
        model_type: header.modelType,
        multilingual: header.multilingual,
        added_at: new Date().toISOString(),
      };
      reg.models.push(entry);
      if (opts.activate || !reg.active) reg.active = name;
      return entry;
    });
    return this.describe(result, active);
  }

  /**
   * Downloads a catalogue model (resuming a previous partial download), verifies its SHA-256 and
   * header, and registers it. Re-downloading an installed name is a no-op returning it.
   */
  async download(
    name: string,
    opts: {
      signal?: AbortSignal;
      onProgress?: (p: DownloadProgress) => void;
      activate?: boolean;
    } = {},
  ): Promise<InstalledModel> {
    const item = this.catalogueEntries.find((c) => c.name === name);
    if (!item) {
      throw new ModelStoreError(
        'UNKNOWN_CATALOGUE_MODEL',
        `unknown model "${name}"; available: ${this.catalogueEntries.map((c) => c.name).join(', ')}`,
      );
    }
    const existing = (await this.listModels()).find((m) => m.name === name && m.available);
    if (existing) return existing;
    await mkdir(this.dir, { recursive: true });
    const dest = join(this.dir, `ggml-${name}.bin`);
    let headerInfo = { modelType: 'custom', multilingual: false };
    await downloadVerifiedFile({
      url: item.url,
      sha256: item.sha256,
      destPath: dest,
      expectedSizeBytes: item.sizeBytes,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      validate: async (part) => {
        headerInfo = await readGgmlWhisperHeader(part);
      },
    });
    const size = (await stat(dest)).size;
    const { result, active } = await this.mutate(async (reg) => {
      reg.models = reg.models.filter((m) => m.name !== name);
      const entry: Entry = {
        name,
        path: dest,
        size_bytes: size,
        sha256: item.sha256,
        source: 'downloaded',
        model_type: headerInfo.modelType,
        multilingual: headerInfo.multilingual,
        added_at: new Date().toISOString(),
      };
      reg.models.push(entry);
      if (opts.activate || !reg.active) reg.active = name;
      return entry;
    });
    return this.describe(result, active);
  }

  async setActive(name: string): Promise<void> {
    await this.mutate(async (reg) => {
      if (!reg.models.some((m) => m.name === name)) throw this.notFound(name, reg);
      reg.active = name;
      return undefined;
    });
  }

  /**
   * Forgets a model; deletes the file only if we downloaded it (never a user's own file). If it
   * was active, the first remaining model becomes active (none → transcription is withdrawn).
   */
  async removeModel(name: string): Promise<void> {
    const { result: removed } = await this.mutate(async (reg) => {
      const entry = reg.models.find((m) => m.name === name);
      if (!entry) throw this.notFound(name, reg);
      reg.models = reg.models.filter((m) => m !== entry);
      if (reg.active === name) reg.active = reg.models[0]?.name ?? null;
      return entry;
    });
    if (removed.source === 'downloaded') {
      await rm(removed.path, { force: true });
      await rm(`${removed.path}.part`, { force: true });
    }
  }

  private notFound(name: string, reg: Registry): ModelStoreError {
    const known = reg.models.map((m) => m.name);
    return new ModelStoreError(
      'MODEL_NOT_FOUND',
      `no model named "${name}"${known.length ? `; installed: ${known.join(', ')}` : ' (none installed)'}`,
    );
  }

  private assertName(name: string): void {
    if (!NAME_RE.test(name)) {
      throw new ModelStoreError(
        'MODEL_INVALID',
        `invalid model name "${name}": use letters, digits, dot, dash or underscore (max 64)`,
      );
    }
  }

  private async describe(e: Entry, active: string | null): Promise<InstalledModel> {
    let available = true;
    let problem: string | undefined;
    try {
      const st = await stat(e.path);
      if (st.size !== e.size_bytes) {
        available = false;
        problem = `file size changed (${st.size} bytes, registered ${e.size_bytes}); remove and add it again`;
      }
    } catch {
      available = false;
      problem = `model file missing: ${e.path}`;
    }
    return {
      name: e.name,
      path: e.path,
      sizeBytes: e.size_bytes,
      sha256: e.sha256,
      active: e.name === active,
      source: e.source,
      modelType: e.model_type,
      multilingual: e.multilingual,
      available,
      ...(problem ? { problem } : {}),
    };
  }

  private async read(): Promise<Registry> {
    let text: string;
    try {
      text = await readFile(this.registryPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { version: 1, active: null, models: [] };
      throw err;
    }
    const parsed = registrySchema.safeParse(JSON.parse(text) as unknown);
    if (!parsed.success) {
      throw new ModelStoreError(
        'MODEL_STORE_CORRUPT',
        `model inventory ${this.registryPath} is invalid (${parsed.error.issues[0]?.message ?? 'schema'}); ` +
          'delete it and add the models again',
      );
    }
    return parsed.data;
  }

  /** Read-modify-write of the inventory, serialized within the process, atomic on disk. */
  private mutate<T>(
    fn: (reg: Registry) => Promise<T>,
  ): Promise<{ result: T; active: string | null }> {
    const run = this.lock.then(async () => {
      const reg = await this.read();
      const result = await fn(reg);
      await mkdir(this.dir, { recursive: true });
      const tmp = `${this.registryPath}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(reg, null, 2) + '\n', 'utf8');
      await rename(tmp, this.registryPath);
      return { result, active: reg.active };
    });
    this.lock = run.catch(() => undefined);
    return run;
  }
}
