import type { INestApplication, Type } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ADMIN_ONLY, PUBLIC_ROUTE } from '../auth/auth.decorators';

/** Who may call a route: anyone (`none`), a key of API_KEYS when that is set (`api-key`), or only ADMIN_API_KEY. */
export type RouteAccess = 'none' | 'api-key' | 'admin';

/**
 * The OpenAPI document exactly as the service serves it at /docs-json (with each model's own routes), asked of an
 * initialised application through Fastify's inject: no port is opened.
 */
export async function servedOpenApiDocument(app: NestFastifyApplication): Promise<OpenAPIObject> {
  const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/docs-json' });
  if (response.statusCode !== 200) {
    throw new Error(`GET /docs-json answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
  }
  return response.json<OpenAPIObject>();
}

/**
 * The access of every controller route, by its OpenAPI operationId (`<Controller>_<method>`, @nestjs/swagger's
 * default), read from the same decorators as ApiKeyGuard (@AdminOnly, @PublicRoute; the handler's over its class's).
 */
export function routeAccessByOperationId(app: INestApplication): Map<string, RouteAccess> {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const access = new Map<string, RouteAccess>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<object> | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, (...args: unknown[]) => unknown>;
      for (const method of scanner.getAllMethodNames(prototype)) {
        const targets = [prototype[method], controller];
        const admin = reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) === true;
        const open = reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) === true;
        access.set(`${controller.name}_${method}`, admin ? 'admin' : open ? 'none' : 'api-key');
      }
    }
  }
  return access;
}
