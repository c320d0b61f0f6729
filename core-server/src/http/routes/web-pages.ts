// Browser pages outside /api/v1: the review page under /review/ (static Vite bundle, sw.js as
// JavaScript), `/` → `/review/`, and the device approval page /device. Every page gets a strict
// CSP: same-origin scripts only, media/images also from blob: (the review page's fallback when
// no service worker is available).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CoreError } from '../../errors/core-error.js';
import type { CoreContext } from '../../server/core-context.js';
import { DEVICE_PAGE_CSS, DEVICE_PAGE_HTML, DEVICE_PAGE_JS } from '../../web/device-page.js';
import { REVIEW_UI_DIST } from '../../web/review-ui-bundle.js';

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

function pageHeaders(reply: FastifyReply, contentType: string, cache: string) {
  return reply
    .header('content-type', contentType)
    .header('content-security-policy', PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', cache);
}

export function registerWebPages(app: FastifyInstance, ctx: CoreContext): void {
  const distDir = ctx.options.reviewUiDir ?? REVIEW_UI_DIST;

  app.get('/', async (_request, reply) => reply.redirect('/review/', 302));
  app.get('/review', async (_request, reply) => reply.redirect('/review/', 301));

  app.get<{ Params: { '*': string } }>('/review/*', async (request, reply) => {
    const rel = request.params['*'] || 'index.html';
    // Normalize and refuse anything escaping dist/ (encoded .., absolute paths).
    const abs = path.resolve(distDir, rel);
    if (!abs.startsWith(distDir + path.sep)) {
      throw new CoreError('VALIDATION_FAILED', 404, 'not found');
    }
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) {
      if (!(await stat(path.join(distDir, 'index.html')).catch(() => undefined))) {
        throw new CoreError(
          'TEMPORARY_UNAVAILABLE',
          503,
          'the review page is not built; see the core-server log for why (usually a missing vite package: reinstall with npm ci), then restart core-server',
          true,
        );
      }
      throw new CoreError('VALIDATION_FAILED', 404, `no file /review/${rel}`);
    }
    const type = CONTENT_TYPES[path.extname(abs)] ?? 'application/octet-stream';
    // Hashed assets are immutable; index.html and sw.js must be revalidated.
    const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    pageHeaders(reply, type, cache).header('content-length', st.size);
    if (rel === 'sw.js') void reply.header('service-worker-allowed', '/review/');
    return reply.send(createReadStream(abs));
  });

  app.get('/device', async (_request, reply) =>
    pageHeaders(reply, CONTENT_TYPES['.html']!, 'no-cache').send(DEVICE_PAGE_HTML),
  );
  app.get('/device.js', async (_request, reply) =>
    pageHeaders(reply, CONTENT_TYPES['.js']!, 'no-cache').send(DEVICE_PAGE_JS),
  );
  app.get('/device.css', async (_request, reply) =>
    pageHeaders(reply, CONTENT_TYPES['.css']!, 'no-cache').send(DEVICE_PAGE_CSS),
  );
}
