import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createAdapter, restrictToRole, setupDirectRoutes, setupSecurityHeaders, setupSwagger } from '../app.factory';
import { AppModule } from '../app.module';
import { routeAccessByOperationId, servedOpenApiDocument } from '../common/http/openapi-document';
import { AppLogger } from '../common/logging/app-logger';
import { AppConfig, loadAppConfig } from '../config/app-config';
import { settingsOf } from '../config/setting.decorator';
import { endpointReference, endpointRows, referenceDifferences, REGENERATE } from './endpoint-reference';

/**
 * `npm run api:docs` prints the endpoint reference generated from the OpenAPI document; `-- --write` writes it to
 * docs/endpoints.md; `-- --check` fails, naming the lines that differ, when that file is stale (part of
 * `npm run check`). Paths are relative to the working directory, the repository root under npm.
 */
const PAGE = join('docs', 'endpoints.md');

/**
 * The application as the service builds it (main.ts), on the settings' defaults whatever the environment says, so
 * the page is the same on every machine: the built-in definitions only, no training at start, no schedule, no
 * background checks, and a SQLite database in a temporary folder. It is initialised but never listens.
 */
async function generate(): Promise<{ markdown: string; endpoints: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-api-docs-'));
  for (const key of settingsOf(AppConfig).keys()) delete process.env[key];
  Object.assign(process.env, {
    DATA_DIR: join(dir, 'data'),
    MODELS_DIR: join(dir, 'models'),
    LOGS_DIR: join(dir, 'logs'),
    AUTO_TRAIN_ON_START: 'false',
    RETRAIN_CRON: 'off',
    DRIFT_CHECK_INTERVAL_S: '0',
    EVALUATION_INTERVAL_S: '0',
    LOG_LEVEL: 'error',
  });
  let app: NestFastifyApplication | undefined;
  try {
    const config = loadAppConfig(process.env);
    app = await NestFactory.create<NestFastifyApplication>(AppModule, createAdapter(), {
      logger: new AppLogger(config),
      abortOnError: false,
    });
    setupSecurityHeaders(app);
    setupDirectRoutes(app);
    restrictToRole(app);
    setupSwagger(app);
    await app.init();
    const document = await servedOpenApiDocument(app);
    const rows = endpointRows(document, routeAccessByOperationId(app));
    return { markdown: endpointReference(document, rows), endpoints: rows.length };
  } finally {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(mode: string | undefined): Promise<void> {
  if (mode !== undefined && mode !== '--write' && mode !== '--check') {
    console.error(`Unknown option ${mode}: use --write, --check, or nothing to print the page.`);
    process.exitCode = 2;
    return;
  }
  const { markdown, endpoints } = await generate();
  const path = resolve(PAGE);
  if (mode === '--write') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, markdown);
    console.log(`Wrote ${PAGE} (${endpoints} endpoints).`);
  } else if (mode === '--check') {
    const differences = existsSync(path)
      ? referenceDifferences(readFileSync(path, 'utf8'), markdown, PAGE)
      : [`  ${PAGE} does not exist`];
    if (differences.length > 0) {
      console.error(`${PAGE} is out of date with the OpenAPI document: run \`${REGENERATE}\`.`);
      console.error(differences.join('\n'));
      process.exitCode = 1;
    } else {
      console.log(`${PAGE} matches the OpenAPI document (${endpoints} endpoints).`);
    }
  } else {
    process.stdout.write(markdown);
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
