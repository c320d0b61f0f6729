// Builds the review UI into core-server/review-ui/dist by hand:
// `npx tsx core-server/review-ui/build.ts`. core-server also does it at start when dist/ is
// missing or older than the sources (src/web/review-ui-bundle.ts), with the same builder.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReviewUi } from '../src/web/review-ui-build.js';

const root = path.dirname(fileURLToPath(import.meta.url));
const out = await buildReviewUi(root, path.join(root, 'dist'));
console.log(`review UI built into ${out}`);
