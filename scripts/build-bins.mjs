#!/usr/bin/env node
// `npm run build` (also run by `prepare`, so `npm ci` — with or without dev dependencies —
// leaves the commands ready): compiles the two command-line programs to plain JavaScript, so
// production runs no TypeScript compiler (tsx) at all:
//   core-server/dist/bin/core-server.js   (package.json "bin" of @retaia/core-server)
//   agent-core/dist/bin/retaia-agent.js   (package.json "bin" of @retaia/agent-core)
// Each is one ES module with the workspace packages (@retaia/*) inlined and every npm dependency
// left as an import, so native modules (better-sqlite3, sharp, keyring) load from node_modules.
// The output sits two folders deep, like the sources it replaces (src/cli/, src/web/), so paths
// the code resolves from import.meta.url (review-ui/, bin/) land on the same files.
//
// The launchers in bin/ are for a checkout: they run the TypeScript sources through tsx when it
// is installed (tests, `npm start`, hacking — always the current code) and these files otherwise.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/** Bare imports that are not workspace packages stay imports (resolved from node_modules). */
const externalDependencies = {
  name: 'external-dependencies',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@retaia/') ? undefined : { path: args.path, external: true },
    );
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  plugins: [externalDependencies],
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node' },
};

async function tsxInstalled() {
  return import('tsx/esm/api').then(
    () => true,
    () => false,
  );
}

const outputs = [
  'core-server/dist/bin/core-server.js',
  'agent-core/dist/bin/retaia-agent.js',
  // The whisper host child process the agent forks next to its own file (abortable transcription).
  'agent-core/dist/bin/whisper-host.js',
  // The image pool's worker thread, found next to retaia-agent.js (docs/photo-pipeline.md).
  'agent-core/dist/bin/image-worker.js',
];
const version = JSON.parse(readFileSync(`${repo}/package.json`, 'utf8')).version;
const started = Date.now();
const built = Promise.all([
  build({
    ...common,
    entryPoints: [`${repo}core-server/src/cli/main.ts`],
    outfile: `${repo}${outputs[0]}`,
  }),
  build({
    ...common,
    stdin: {
      contents: "import { runCli } from './src/cli/agent-cli.ts';\nawait runCli(process.argv);\n",
      resolveDir: `${repo}agent-core`,
      sourcefile: 'retaia-agent-entry.ts',
      loader: 'ts',
    },
    outfile: `${repo}${outputs[1]}`,
  }),
  build({
    ...common,
    entryPoints: [`${repo}agent-core/src/processing/transcription/whisper-host.ts`],
    outfile: `${repo}${outputs[2]}`,
  }),
  build({
    ...common,
    entryPoints: [`${repo}agent-core/src/processing/tools/image-worker.ts`],
    outfile: `${repo}${outputs[3]}`,
  }),
]);
try {
  await built;
} catch (err) {
  // As `prepare` in a development install, a file someone is editing must not make `npm install`
  // fail (the launchers run the sources then); in production the compiled files are the program,
  // and an explicit `npm run build` reports the error too.
  if (process.env.npm_lifecycle_event !== 'prepare' || !(await tsxInstalled())) throw err;
  console.warn(
    `build-bins: not built (${err.message.split('\n')[0]}); bin/ runs the sources via tsx`,
  );
  process.exit(0);
}
// npm links package bins before `prepare` runs; the files it points at must be executable.
for (const out of outputs) chmodSync(`${repo}${out}`, 0o755);
console.log(`built ${outputs.join(' and ')} (v${version}) in ${Date.now() - started} ms`);
