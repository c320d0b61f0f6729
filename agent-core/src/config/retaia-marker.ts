// Core's `<mount>/.retaia` marker (docs/protocol.md#storage-mounts-and-the-retaia-marker). The agent only reads it: it proves that a local
// folder really is the storage Core calls `storage_id`, and says which top-level folders hold
// media. Never created nor edited here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const MARKER_FILE_NAME = '.retaia';
export const MAX_SUPPORTED_MARKER_VERSION = 2;

const markerSchema = z.object({
  version: z.number().int().min(1),
  storage_id: z.string().min(1),
  paths: z
    .object({
      inbox: z.string().min(1).optional(),
      archive: z.string().min(1).optional(),
      rejects: z.string().min(1).optional(),
    })
    .optional(),
});

export type RetaiaMarker = z.infer<typeof markerSchema>;

export class MarkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MarkerError';
  }
}

/** Reads and validates the marker of a mount. Throws MarkerError with an actionable message. */
export async function readRetaiaMarker(mountPath: string): Promise<RetaiaMarker> {
  const file = join(mountPath, MARKER_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new MarkerError(
        `no ${MARKER_FILE_NAME} marker in ${mountPath}: point the mount at the root of the share Core manages (the folder containing ${MARKER_FILE_NAME}), and check the share is mounted`,
      );
    }
    throw new MarkerError(
      `cannot read ${file} (${code ?? (err as Error).message}): check the mount and its permissions`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MarkerError(
      `${file} is not valid JSON: it is written by Core; ask the Core operator to repair it`,
    );
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MarkerError(
      `${file} is not a valid marker (${issue ? `${issue.path.join('.') || 'root'}: ${issue.message}` : 'bad shape'}): it is written by Core; ask the Core operator to repair it`,
    );
  }
  if (parsed.data.version > MAX_SUPPORTED_MARKER_VERSION) {
    throw new MarkerError(
      `${file} has version ${parsed.data.version}, this agent understands up to ${MAX_SUPPORTED_MARKER_VERSION}: update the agent`,
    );
  }
  return parsed.data;
}

/**
 * Top-level folders a source may live in: version 1 markers allow only the inbox, version ≥ 2
 * also the archive and rejects folders.
 */
export function allowedSourceRoots(marker: RetaiaMarker): string[] {
  const inbox = marker.paths?.inbox ?? 'INBOX';
  if (marker.version < 2) return [inbox];
  return [inbox, marker.paths?.archive ?? 'ARCHIVE', marker.paths?.rejects ?? 'REJECTS'];
}
