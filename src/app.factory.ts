import type { CanActivate } from '@nestjs/common';
import helmet from 'helmet';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { APP_VERSION } from './common/app-version';
import { GLOBAL_GUARDS } from './app.module';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter';
import { installDirectRoutes } from './common/http/direct-route';
import { applyLargeBodyLimit } from './common/http/large-body.decorator';
import { AppValidationPipe } from './common/http/validation.pipe';
import { ModelVersionHeaderInterceptor, setModelVersionHeader } from './prediction/model-version-header.interceptor';
import { AppConfig, trustProxyOption } from './config/app-config';
import { ModelCatalog } from './definitions/model-catalog.service';
import { CsvBody } from './prediction/mlflow-payload.util';
import { withModelRoutes } from './prediction/openapi/model-routes.openapi';
import { ActiveModels } from './registry/active-models.service';
import type { IncomingMessage, ServerResponse } from 'node:http';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Uses the caller's `x-request-id` when it is a sane token, a new UUID otherwise. */
function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
/** YAML is accepted for model definitions only (`PUT /models/:name/definition`), as text the catalog parses. */
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
const YAML_TYPE = /^(application|text)\/(x-)?yaml\s*(;|$)/i;
const DEFINITION_URL = /^\/models\/[^/?]+\/definition(\?|$)/;

/** A request that carries a body in another format than JSON: answered with 415 in the one error shape. */
class UnsupportedMediaTypeError extends Error {
  readonly statusCode = 415;

  constructor(contentType: string | undefined, message?: string) {
    super(
      message ?? `Request bodies must be JSON (content-type application/json), not ${contentType ?? 'unspecified'}`,
    );
  }
}

const INVOCATIONS_URL = /^\/invocations(\?|$)/;

/**
 * MLflow's scoring server reads `application/json` and `text/csv` bodies, in UTF-8 only, and refuses any other
 * content-type parameter (`mlflow/pyfunc/scoring_server`'s `invocations`); its messages, as 415.
 */
function invocationsTypeProblem(contentType: string): string | undefined {
  const [mime, ...parameters] = contentType.split(';').map((part) => part.trim());
  const values = new Map(
    parameters
      .filter(Boolean)
      .map((p) => [p.split('=')[0].trim().toLowerCase(), p.split('=').slice(1).join('=').trim()]),
  );
  if ((values.get('charset') ?? 'utf-8').replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') {
    return 'The scoring server only supports UTF-8';
  }
  const unexpected = [...values.keys()].filter((key) => key !== 'charset');
  if (unexpected.length > 0) return `Unrecognized content type parameters: ${unexpected.join(', ')}`;
  if (!['application/json', 'text/csv'].includes(mime.toLowerCase())) {
    return `This predictor only supports the following content types: application/json, text/csv. Got '${contentType || 'none'}'.`;
  }
  return undefined;
}

/** A route a worker process does not serve (it serves health and metrics only): 404 in the one error shape. */
class NotOnWorkerError extends Error {
  readonly statusCode = 404;

  constructor(url: string) {
    super(`${url.split('?')[0]} is not served here: this process is a retraining worker (SERVICE_ROLE=worker)`);
  }
}

/** The routes of a worker process: its probes and its metrics. */
const WORKER_ROUTES = /^\/(health(\/[\w-]*)?|metrics)(\?|$)/;

/**
 * With SERVICE_ROLE=worker, every route but the health probes and /metrics answers 404: a worker trains, and an
 * orchestrator only probes and scrapes it.
 */
export function restrictToRole(app: NestFastifyApplication): void {
  if (app.get(AppConfig).SERVICE_ROLE !== 'worker') return;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) =>
      done(WORKER_ROUTES.test(request.url) ? undefined : new NotOnWorkerError(request.url)),
    );
}

/** A client that did not send its whole request (headers and body) within REQUEST_TIMEOUT_MS: 408. */
class RequestTimeoutError extends Error {
  readonly statusCode = 408;

  constructor(ms: number) {
    super(`The request was not received completely within ${ms} ms`);
  }
}

/**
 * Answers 408 and closes the connection when a request's body has not arrived within `ms` of its start. Node's
 * own requestTimeout only covers the headers once Fastify has the request; this covers a body sent too slowly.
 * Requests wait in arrival order (so in deadline order) until their body is read; one sweep every quarter of `ms`
 * (at most a second) answers the overdue ones: a request costs a Map insert and delete, not a timer of its own.
 */
function enforceRequestTimeout(adapter: FastifyAdapter, ms: number): void {
  const waiting = new Map<FastifyReply, number>();
  const fastify = adapter.getInstance();
  const sweep = (): void => {
    const now = Date.now();
    for (const [reply, deadline] of waiting) {
      if (deadline > now) break;
      waiting.delete(reply);
      if (reply.sent) continue;
      reply.raw.once('finish', () => reply.request.raw.destroy());
      void reply.header('connection', 'close').send(new RequestTimeoutError(ms));
    }
  };
  const sweeper = setInterval(sweep, Math.max(10, Math.min(1000, Math.floor(ms / 4))));
  sweeper.unref();
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    waiting.set(reply, Date.now() + ms);
    done();
  });
  fastify.addHook('preValidation', (_request, reply, done) => {
    waiting.delete(reply);
    done();
  });
  fastify.addHook('onResponse', (_request, reply, done) => {
    waiting.delete(reply);
    done();
  });
}

/** TRUST_PROXY for Fastify: false, the trusted addresses, or a hop count (trust the `hops` nearest peers). */
function fastifyTrustProxy(value: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  const option = trustProxyOption(value) ?? false;
  return typeof option === 'number' ? (_address, hop) => hop < option : option;
}

/**
 * Fastify options shared by the service and the e2e tests: request ids, a 1 MiB body limit (413; `largeBodyLimit` on
 * the routes declared with @LargeBody()), JSON bodies only
 * (415; also YAML for definitions, and CSV for MLflow's /invocations, which follows MLflow's content-type rules),
 * REQUEST_TIMEOUT_MS to receive a whole request (408; 0 = none), and TRUST_PROXY for the client's address.
 */
export function createAdapter(
  options: { requestTimeoutMs?: number; largeBodyLimit?: number; trustProxy?: string } = {},
): FastifyAdapter {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const adapter = new FastifyAdapter({
    genReqId: requestId,
    // TRUST_PROXY (validated at boot): whether request.ip comes from x-forwarded-for, and from which peers.
    trustProxy: fastifyTrustProxy(options.trustProxy ?? 'off'),
    bodyLimit: 1_048_576,
    requestTimeout,
    // Node checks request timeouts on this interval (30 s by default), so a shorter timeout needs a shorter one.
    http: requestTimeout > 0 ? { connectionsCheckingInterval: Math.min(1000, Math.ceil(requestTimeout / 2)) } : {},
  });
  if (requestTimeout > 0) enforceRequestTimeout(adapter, requestTimeout);
  applyLargeBodyLimit(adapter.getInstance(), options.largeBodyLimit ?? 67_108_864);
  adapter.getInstance().addHook('onRequest', (request, _reply, done) => {
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'];
    const type = request.headers['content-type'] ?? '';
    if (hasBody && INVOCATIONS_URL.test(request.url)) {
      const problem = invocationsTypeProblem(type);
      return done(problem ? new UnsupportedMediaTypeError(type, problem) : undefined);
    }
    const accepted = JSON_TYPE.test(type) || (YAML_TYPE.test(type) && DEFINITION_URL.test(request.url));
    done(hasBody && !accepted ? new UnsupportedMediaTypeError(type || undefined) : undefined);
  });
  adapter
    .getInstance()
    .addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  // CSV (a header and rows), for MLflow's /invocations only: the onRequest hook refuses it elsewhere.
  adapter
    .getInstance()
    .addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) =>
      done(null, new CsvBody(body as string)),
    );
  return adapter;
}

/** Helmet's options: a content security policy that still lets the Swagger UI at /docs and the dashboard run. */
const HELMET_OPTIONS: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: [`'self'`],
      styleSrc: [`'self'`, `'unsafe-inline'`],
      imgSrc: [`'self'`, 'data:'],
      scriptSrc: [`'self'`],
      connectSrc: [`'self'`],
      objectSrc: [`'none'`],
      frameAncestors: [`'none'`],
    },
  },
};

/**
 * The headers helmet sets, read once by running its middleware on a response that only records them: with static
 * options (no per-request nonce) they are the same for every request.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failure: unknown;
  helmet(HELMET_OPTIONS)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    failure = error;
  });
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('helmet refused its options');
  return headers;
}

/**
 * Security headers (helmet), with a content security policy that still lets the Swagger UI at /docs and the
 * dashboard run: their scripts and styles come from the service itself; both set some inline styles, and the UI
 * loads data: images. They are computed once (securityHeaders) and added to every reply as it arrives, as Fastify
 * reply headers: @fastify/helmet builds helmet's middleware again for every request (29 % fewer single-row
 * predictions per second, 45 MB more RSS), and even a middleware built once sets each header on Node's response
 * with its own validation, which Node repeats when it writes the head.
 */
export function setupSecurityHeaders(app: NestFastifyApplication): void {
  const headers = securityHeaders();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      void reply.headers(headers);
      done();
    });
}

/**
 * Serves the routes declared with @DirectRoute() (the prediction routes) from Fastify directly, with the global
 * guards, pipe and exception filter of AppModule. Call before the application's init (which registers the routes).
 */
export function setupDirectRoutes(app: NestFastifyApplication): void {
  installDirectRoutes(app.getHttpAdapter().getInstance(), {
    instanceOf: (type) => app.get(type, { strict: false }),
    guards: GLOBAL_GUARDS.map((guard) => app.get<CanActivate>(guard)),
    pipe: app.get(AppValidationPipe),
    filter: app.get(AllExceptionsFilter),
    interceptors: new Map([[ModelVersionHeaderInterceptor, setModelVersionHeader]]),
  });
}

/**
 * Swagger UI at /docs and the OpenAPI JSON at /docs-json (the service and the e2e tests call this alike). Each
 * model's own routes and input schema are added to the document on every request, from the definitions in force.
 */
export function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('nest-mlops')
    .setDescription('Data versioning, training, model registry, serving and monitoring of tabular models.')
    .setVersion(APP_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY, or one of API_KEYS' }, 'bearer')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The same keys, as a header' },
      'api-key',
    )
    // Optional everywhere (the empty requirement): reads and predictions need a key only when API_KEYS is set.
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key')
    .build();
  config.security = [...(config.security ?? []), {}];
  const document = SwaggerModule.createDocument(app, config);
  const catalog = app.get(ModelCatalog);
  const active = app.get(ActiveModels);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    patchDocumentOnRequest: (_request, _reply, built) => withModelRoutes(built, catalog, active),
  });
}
