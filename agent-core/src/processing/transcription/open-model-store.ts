// Opens the whisper ModelStore the way every front end does (CLI `retaia-agent models …` and the
// desktop Preferences), so both edit the same inventory with the same catalogue.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ModelCatalogueEntry } from './model-catalogue.js';
import { ModelStore } from './model-store.js';

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

/** The store under the agent's data dir, with the catalogue override applied when set. */
export async function openModelStore(dataDir: string): Promise<ModelStore> {
  const catalogue = await catalogueOverride();
  return new ModelStore({ dataDir, ...(catalogue ? { catalogue } : {}) });
}
