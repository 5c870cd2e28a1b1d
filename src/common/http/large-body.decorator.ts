import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

const LARGE_BODY = 'largeBody';

/**
 * Lets one route take bodies up to the large-body limit (createAdapter's `largeBodyLimit`, from
 * IMPORT_BODY_LIMIT_BYTES) instead of the 1 MiB every other route keeps: a model file is megabytes.
 */
export function LargeBody(): MethodDecorator {
  return RouteConfig({ [LARGE_BODY]: true });
}

/** Gives every route declared with @LargeBody() the limit, as Fastify registers it. */
export function applyLargeBodyLimit(fastify: FastifyInstance, limit: number): void {
  fastify.addHook('onRoute', (route) => {
    if ((route.config as Record<string, unknown> | undefined)?.[LARGE_BODY] === true) route.bodyLimit = limit;
  });
}
