// Builds the review page (core-server/review-ui) with Vite into `outDir`. Part of the server, not
// a script beside it: a production install (`npm ci --omit=dev`) runs the compiled server, which
// cannot import TypeScript, and still has to build the page on first start. That is why vite is
// a runtime dependency of core-server. `sw.js` keeps a fixed name at the root of the output so
// its scope covers the page.
import path from 'node:path';

export async function buildReviewUi(root: string, outDir: string): Promise<string> {
  const { build } = await import('vite');
  await build({
    root,
    base: './',
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: {
        input: {
          index: path.join(root, 'index.html'),
          sw: path.join(root, 'src/sw.ts'),
        },
        output: {
          entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
        },
      },
    },
  });
  return outDir;
}
