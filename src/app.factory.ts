import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { APP_VERSION } from './common/app-version';
import type { IncomingMessage } from 'node:http';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Uses the caller's `x-request-id` when it is a sane token, a new UUID otherwise. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Fastify options shared by the service and the e2e tests. */
export function createAdapter(): FastifyAdapter {
  return new FastifyAdapter({ genReqId: requestId, bodyLimit: 1_048_576 });
}

/** Swagger UI at /docs and the OpenAPI JSON at /docs-json (the service and the e2e tests call this alike). */
export function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('nest-mlops')
    .setDescription('Data versioning, training, model registry, serving and monitoring of tabular models.')
    .setVersion(APP_VERSION)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
