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

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** A request that carries a body in another format than JSON: answered with 415 in the one error shape. */
class UnsupportedMediaTypeError extends Error {
  readonly statusCode = 415;

  constructor(contentType: string | undefined) {
    super(`Request bodies must be JSON (content-type application/json), not ${contentType ?? 'unspecified'}`);
  }
}

/** Fastify options shared by the service and the e2e tests: request ids, a 1 MiB body limit, JSON bodies only. */
export function createAdapter(): FastifyAdapter {
  const adapter = new FastifyAdapter({ genReqId: requestId, bodyLimit: 1_048_576 });
  adapter.getInstance().addHook('onRequest', (request, _reply, done) => {
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'];
    const type = request.headers['content-type'];
    done(hasBody && !JSON_TYPE.test(type ?? '') ? new UnsupportedMediaTypeError(type) : undefined);
  });
  return adapter;
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
