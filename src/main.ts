import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAdapter, restrictToRole, setupDirectRoutes, setupSecurityHeaders, setupSwagger } from './app.factory';
import { AppModule } from './app.module';
import { AppLogger } from './common/logging/app-logger';
import { ConfigValidationError, loadAppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig(process.env);
  const logger = new AppLogger(config);
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
      (config.serves ? ' (API docs at /docs)' : ' (health and metrics only)'),
    'Bootstrap',
  );
}

bootstrap().catch((error: unknown) => {
  // A bad configuration is the operator's to fix: one line naming the variable and the rule, no stack trace.
  const message = error instanceof ConfigValidationError ? error.message : error instanceof Error ? error.stack : error;
  process.stderr.write(`nest-mlops failed to start: ${String(message)}\n`);
  process.exit(1);
});
