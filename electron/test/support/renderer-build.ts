// Builds the renderer once per test process into a temporary folder (never touching
// renderer/dist), so UI tests always run against the current sources.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@retaia/protocol/testing/temp-dir.js';

let built: Promise<string> | undefined;

export function buildRendererOnce(): Promise<string> {
  built ??= (async () => {
    const { build } = await import('vite');
    const outDir = makeTempDir('retaia-renderer-');
    const root = fileURLToPath(new URL('../../../renderer/', import.meta.url));
    await build({
      configFile: join(root, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir, emptyOutDir: true },
    });
    return outDir;
  })();
  return built;
}
