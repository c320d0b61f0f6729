import type { FastifyInstance } from 'fastify';
import type { CoreContext } from '../../server/core-context.js';

export function registerUploadRoutes(_api: FastifyInstance, _ctx: CoreContext): void {}
