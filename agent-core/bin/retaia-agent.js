#!/usr/bin/env node
// Launcher for a checkout (and the path the CLI re-spawns for the daemon). In a
// development install it runs the TypeScript sources, so tests and `npm start` always run the
// current code; otherwise (`npm ci --omit=dev`, production) it runs the compiled
// dist/bin/retaia-agent.js that `npm ci` built (scripts/build-bins.mjs).
// A development install is told by typescript, a dev dependency nothing needs at run time: tsx
// alone is not enough, as npm also installs it in production as an optional peer of vite.
let register;
try {
  import.meta.resolve('typescript');
  ({ register } = await import('tsx/esm/api'));
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
}
if (register) {
  register();
  const { runCli } = await import('../src/cli/agent-cli.ts');
  await runCli(process.argv);
} else {
  await import('../dist/bin/retaia-agent.js');
}
