#!/usr/bin/env node
// Launcher for a checkout. With tsx installed (a development install) it runs the TypeScript
// sources, so tests and `npm start` always run the current code; without it (`npm ci
// --omit=dev`, production) it runs the compiled dist/bin/core-server.js that `npm ci` built
// (scripts/build-bins.mjs) — the file package.json "bin" points at.
let register;
try {
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
