#!/usr/bin/env node
// Bundles the Electron main process, the preload script and the daemon entry to CommonJS in
// electron/dist, and copies the built renderer (renderer/dist) to electron/dist/renderer.
// Run `npm run build -w renderer` first (or `npm run build -w electron`, which does both).
import { build } from 'esbuild';
import { cp, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
// RETAIA_RENDERER_DIST lets tests bundle a renderer built elsewhere.
const rendererDist =
  process.env.RETAIA_RENDERER_DIST ??
  fileURLToPath(new URL('../../renderer/dist', import.meta.url));

// Native or binary-shipping modules stay in node_modules (asar-unpacked where needed).
const external = [
  'electron',
  'sharp',
  '@napi-rs/keyring',
  'ffmpeg-static',
  'better-sqlite3',
  'pino-pretty',
];

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: true,
  external,
  logLevel: 'info',
  absWorkingDir: here,
  // ESM sources use import.meta.url (createRequire, asset lookups); give CJS a real value.
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

// RETAIA_ELECTRON_OUT lets tests bundle into a scratch folder instead of electron/dist.
const out = process.env.RETAIA_ELECTRON_OUT ?? `${here}/dist`;
await rm(out, { recursive: true, force: true });
await build({ ...common, entryPoints: ['src/main/main.ts'], outfile: `${out}/main.cjs` });
// The preload runs sandboxed: a single self-contained file that only requires `electron`.
await build({
  ...common,
  entryPoints: ['src/preload/preload.ts'],
  outfile: `${out}/preload.cjs`,
  target: 'chrome130',
});
await build({ ...common, entryPoints: ['src/daemon-entry.ts'], outfile: `${out}/daemon.cjs` });
// The daemon decodes HEIC/RAW photos in worker threads; the image pool looks for this file next
// to daemon.cjs (self-contained: libheif's WASM is inlined). Unpacked from asar, see
// electron-builder.yml and docs/photo-pipeline.md.
await build({
  ...common,
  entryPoints: ['../agent-core/src/processing/tools/image-worker.ts'],
  outfile: `${out}/image-worker.cjs`,
});
// The daemon starts the app executable in whisper-host mode for abortable transcription.
await build({
  ...common,
  entryPoints: ['../agent-core/src/processing/transcription/whisper-host.ts'],
  outfile: `${out}/whisper-host.cjs`,
});

try {
  await stat(`${rendererDist}/index.html`);
} catch {
  console.error('renderer/dist/index.html is missing: run `npm run build -w renderer` first');
  process.exit(1);
}
await cp(rendererDist, `${out}/renderer`, { recursive: true });
console.log(`${out} ready: main.cjs, preload.cjs, daemon.cjs, renderer/`);
