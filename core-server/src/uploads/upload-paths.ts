// Every filesystem path of derived uploads is built here, from ids that must be UUIDs, so no
// request value can steer a path. Staging sits under the storage root (`.derived/.uploads/`) so
// publishing is a same-filesystem rename.
import path from 'node:path';
import type { DerivedKind } from '@retaia/protocol';
import { validationFailed } from '../errors/core-error.js';
import { extensionFor } from '../domain/derived-kinds.js';
import { DERIVED_DIR } from '../storage/storage-marker.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertUuid(value: string, what: string): string {
  if (!UUID.test(value))
    throw validationFailed(`${what} must be a lower-case UUID`, { [what]: value });
  return value;
}

export function uploadDir(root: string, uploadId: string): string {
  return path.join(root, DERIVED_DIR, '.uploads', assertUuid(uploadId, 'upload_id'));
}

export function partPath(root: string, uploadId: string, partNumber: number): string {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
    throw validationFailed('part_number must be an integer between 1 and 10000');
  }
  return path.join(uploadDir(root, uploadId), `part-${partNumber}`);
}

export function assembledPath(root: string, uploadId: string): string {
  return path.join(uploadDir(root, uploadId), 'assembled');
}

/** Where a published derived file lives, relative to the storage root. */
export function derivedRelativePath(
  assetUuid: string,
  kind: DerivedKind,
  uploadId: string,
  contentType: string,
): string {
  assertUuid(assetUuid, 'asset uuid');
  assertUuid(uploadId, 'upload_id');
  return `${DERIVED_DIR}/${assetUuid}/${kind}-${uploadId}.${extensionFor(contentType)}`;
}

export function absoluteDerivedPath(root: string, relative: string): string {
  const abs = path.resolve(root, relative);
  const derivedRoot = path.resolve(root, DERIVED_DIR);
  if (!abs.startsWith(derivedRoot + path.sep)) {
    throw validationFailed('derived path escapes the derived directory');
  }
  return abs;
}
