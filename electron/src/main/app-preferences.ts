// Desktop-only preferences stored as JSON in Electron's userData folder. Validated on read and
// on every update: a damaged file falls back to defaults instead of stopping the app.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { AppPreferences } from '../shared/bridge-api.js';

export const appPreferencesSchema = z.object({
  idleMinutes: z.number().int().min(1, 'idle delay must be at least 1 minute').max(240),
  openAtLogin: z.boolean(),
  notifications: z.boolean(),
  language: z.enum(['auto', 'en', 'fr']),
}) satisfies z.ZodType<AppPreferences>;

export const DEFAULT_PREFERENCES: AppPreferences = {
  idleMinutes: 5,
  openAtLogin: false,
  notifications: true,
  language: 'auto',
};

export class PreferencesError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'PreferencesError';
  }
}

export class AppPreferencesStore {
  private current: AppPreferences = DEFAULT_PREFERENCES;

  constructor(private readonly file: string) {}

  async load(): Promise<AppPreferences> {
    try {
      const raw: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      const parsed = appPreferencesSchema.partial().safeParse(raw);
      this.current = { ...DEFAULT_PREFERENCES, ...(parsed.success ? parsed.data : {}) };
    } catch {
      this.current = DEFAULT_PREFERENCES;
    }
    return this.current;
  }

  get(): AppPreferences {
    return this.current;
  }

  async update(patch: unknown): Promise<AppPreferences> {
    const parsed = appPreferencesSchema.partial().strict().safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PreferencesError(
        `Invalid preference ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'bad value'}`,
      );
    }
    const next = { ...this.current, ...parsed.data };
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
    this.current = next;
    return next;
  }
}
