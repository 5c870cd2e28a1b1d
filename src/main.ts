import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdapter, restrictToRole, setupDirectRoutes, setupSecurityHeaders, setupSwagger } from './app.factory';
import { AppModule } from './app.module';
import { AppLogger } from './common/logging/app-logger';
import { ConfigValidationError, loadAppConfig } from './config/app-config';
import { startTracing } from './common/tracing/tracing';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig(process.env);
  const logger = new AppLogger(config);
  // Read by V8 at each full collection, so it applies from here on (a serving process's memory; see the setting).
  if (config.HEAP_GROWTH_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWTH_PERCENT}`);
  // Traces when OTEL_* settings ask for them (before the application exists, so its context manager is in place).
  const tracing = startTracing(process.env);
  const adapter = createAdapter({
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    largeBodyLimit: config.IMPORT_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { logger });
  setupSecurityHeaders(app);
  setupDirectRoutes(app);
  restrictToRole(app);
  setupSwagger(app);
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  logger.log(
    `nest-mlops (${config.SERVICE_ROLE}, ${config.databaseKind}) listening on http://${config.HOST}:${config.PORT}` +
      (config.serves ? ' (API docs at /docs)' : ' (health and metrics only)') +
      (tracing ? `, exporting OpenTelemetry traces as ${process.env.OTEL_SERVICE_NAME}` : ''),
    'Bootstrap',
  );
}

bootstrap().catch((error: unknown) => {
  // A bad configuration is the operator's to fix: one line naming the variable and the rule, no stack trace.
  const message = error instanceof ConfigValidationError ? error.message : error instanceof Error ? error.stack : error;
  process.stderr.write(`nest-mlops failed to start: ${String(message)}\n`);
  process.exit(1);
});
