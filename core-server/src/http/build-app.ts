// The Fastify instance: raw-body capture (signatures cover the exact bytes), the contract's
// ErrorResponse for every failure, and the /api/v1 routes.
import { randomUUID } from 'node:crypto';
import { API_PREFIX } from '@retaia/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { CoreError, validationFailed } from '../errors/core-error.js';
import { MoveDomainError } from '../moves/index.js';
import type { CoreContext } from '../server/core-context.js';
import { registerAgentRoutes } from './routes/agent-routes.js';
import { registerAssetRoutes } from './routes/asset-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerHumanAssetRoutes } from './routes/human-asset-routes.js';
import { registerWebPages } from './routes/web-pages.js';
import { registerJobRoutes } from './routes/job-routes.js';
import { registerOpsRoutes } from './routes/ops-routes.js';
import { registerUploadRoutes } from './routes/upload-routes.js';
import { checkQuery } from './query-guard.js';
import { apiPathScrubber } from './scrub-paths.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Exact request body bytes (JSON bodies); empty when there was none. */
    rawBody?: Buffer;
  }
}

export function errorBody(err: CoreError, correlationId: string) {
  return {
    code: err.code,
    message: err.message,
    ...(err.details ? { details: err.details } : {}),
    retryable: err.retryable,
    correlation_id: correlationId,
  };
}

export function buildApp(ctx: CoreContext, https?: { cert: string; key: string }): FastifyInstance {
  const o = ctx.options;
  // A request (headers + body) that does not arrive in time is cut: a body trickled one byte at
  // a time must not hold a connection forever. Node checks these timers every
  // connectionsCheckingInterval, so that interval follows the shortest timeout.
  const serverTimeouts = {
    headersTimeout: Math.min(o.headersTimeoutMs, o.requestTimeoutMs),
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, o.requestTimeoutMs / 4)),
  };
  const app = Fastify({
    loggerInstance: ctx.logger,
    genReqId: () => randomUUID(),
    bodyLimit: 4 * 1024 * 1024,
    requestTimeout: o.requestTimeoutMs,
    connectionTimeout: o.connectionIdleTimeoutMs,
    // X-Forwarded-For is believed only from the configured reverse proxies (per-IP budgets).
    trustProxy: o.trustedProxies.length > 0 ? o.trustedProxies : false,
    // Agents keep connections alive; close() must not wait for them.
    forceCloseConnections: true,
    ...(https ? { https: { ...https, ...serverTimeouts } } : { http: serverTimeouts }),
  }) as unknown as FastifyInstance;
  const scrub = apiPathScrubber(o);

  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    req.rawBody = buf;
    if (buf.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(buf.toString('utf8')));
    } catch {
      done(validationFailed('request body is not valid JSON'), undefined);
    }
  });
  // Multipart parts are streamed by the upload route itself (hashing the raw bytes as they come).
  app.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null));
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    done(null, undefined);
  });

  app.addHook('onRequest', async (request) => {
    checkQuery(request.query);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-correlation-id', request.id);
    // API JSON and derived bytes alike: browsers must not guess another type (e.g. HTML).
    reply.header('x-content-type-options', 'nosniff');
    // Bytes go as they are: derived files, and the poll answer, whose entries were scrubbed as
    // they were built and cached (routes/job-routes.ts). Every text answer is scrubbed here.
    if (typeof payload !== 'string') return payload;
    const failed = reply.statusCode >= 400;
    return scrub(payload, { anywhere: failed });
  });

  app.setErrorHandler((error, request, reply) => {
    let err: CoreError;
    if (error instanceof CoreError) err = error;
    else if (error instanceof MoveDomainError) {
      err = new CoreError(
        error.code,
        error.httpStatus,
        error.message,
        error.retryable,
        error.details,
      );
    } else if (
      (error as { validation?: unknown }).validation ||
      (error as { statusCode?: number }).statusCode === 400
    ) {
      err = validationFailed(error instanceof Error ? error.message : 'invalid request');
    } else if ((error as { statusCode?: number }).statusCode === 413) {
      err = new CoreError('VALIDATION_FAILED', 413, 'request body too large');
    } else {
      request.log.error({ err: error }, 'unhandled error');
      err = new CoreError('TEMPORARY_UNAVAILABLE', 500, 'internal error; see server logs', true);
    }
    if (err.headers) reply.headers(err.headers);
    void reply.status(err.httpStatus).send(errorBody(err, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    const err = new CoreError(
      'VALIDATION_FAILED',
      404,
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
    void reply.status(404).send(errorBody(err, request.id));
  });

  void app.register(
    async (api) => {
      registerAuthRoutes(api, ctx);
      registerAgentRoutes(api, ctx);
      registerJobRoutes(api, ctx);
      registerAssetRoutes(api, ctx);
      registerHumanAssetRoutes(api, ctx);
      registerUploadRoutes(api, ctx);
      registerOpsRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  registerWebPages(app, ctx);
  return app;
}
