// Builds the review UI into core-server/review-ui/dist (static files the server serves after
// login): `npx tsx core-server/review-ui/build.ts`. `sw.js` keeps a fixed name at the root of the
// output so its scope covers the page.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const REVIEW_UI_ROOT = path.dirname(fileURLToPath(import.meta.url));

export async function buildReviewUi(outDir = path.join(REVIEW_UI_ROOT, 'dist')): Promise<string> {
  await build({
    root: REVIEW_UI_ROOT,
    base: './',
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: {
        input: {
          index: path.join(REVIEW_UI_ROOT, 'index.html'),
          sw: path.join(REVIEW_UI_ROOT, 'src/sw.ts'),
        },
        output: {
          entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
        },
      },
    },
  });
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildReviewUi();
  console.log(`review UI built into ${out}`);
}
