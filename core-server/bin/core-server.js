#!/usr/bin/env node
// Launcher for a checkout. In a development install it runs the TypeScript
// sources, so tests and `npm start` always run the current code; otherwise (`npm ci
// --omit=dev`, production) it runs the compiled dist/bin/core-server.js that `npm ci` built
// (scripts/build-bins.mjs) — the file package.json "bin" points at.
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
  await import('../src/cli/main.ts');
} else {
  await import('../dist/bin/core-server.js');
}
