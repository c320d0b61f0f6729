// A real temporary storage root (INBOX/ARCHIVE/REJECTS + .retaia marker) and in-memory ports,
// shared by the moves tests.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AssetState } from '@retaia/protocol';
import type { MoveContext } from '../asset-mover.js';
import { InMemoryAssetRecords, InMemoryMoveJournal } from '../in-memory-move-journal.js';
import type { MovableAsset } from '../move-journal.js';
import type { StorageLayout } from '../storage-root.js';

export interface StorageFixture {
  storage: StorageLayout;
  journal: InMemoryMoveJournal;
  assets: InMemoryAssetRecords;
  ctx(extra?: Partial<MoveContext>): MoveContext;
  write(rel: string, content?: string): Promise<void>;
  addAsset(
    uuid: string,
    state: AssetState,
    original: string,
    sidecars?: string[],
  ): Promise<MovableAsset>;
  /** Every file under the root (POSIX relative), sorted, marker excluded. */
  tree(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function createStorageFixture(): Promise<StorageFixture> {
  const root = await mkdtemp(path.join(tmpdir(), 'retaia-moves-'));
  for (const d of ['INBOX', 'ARCHIVE', 'REJECTS']) await mkdir(path.join(root, d));
  await writeFile(
    path.join(root, '.retaia'),
    JSON.stringify({
      version: 2,
      storage_id: 'nas-test',
      paths: { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' },
    }),
  );
  const storage: StorageLayout = {
    root,
    storage_id: 'nas-test',
    paths: { inbox: 'INBOX', archive: 'ARCHIVE', rejects: 'REJECTS' },
  };
  const journal = new InMemoryMoveJournal();
  const assets = new InMemoryAssetRecords();
  const write = async (rel: string, content = `content of ${rel}`) => {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  };
  const tree = async () => {
    const out: string[] = [];
    const walk = async (rel: string) => {
      for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(child);
        else if (child !== '.retaia') out.push(child);
      }
    };
    await walk('');
    return out.sort();
  };
  return {
    storage,
    journal,
    assets,
    ctx: (extra = {}) => ({ storage, journal, assets, owner: 'test-owner', ...extra }),
    write,
    async addAsset(uuid, state, original, sidecars = []) {
      for (const f of [original, ...sidecars]) await write(f);
      const asset: MovableAsset = {
        uuid,
        state,
        paths: { storage_id: 'nas-test', original_relative: original, sidecars_relative: sidecars },
      };
      assets.put(asset);
      return asset;
    },
    tree,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
