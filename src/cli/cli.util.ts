import { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DomainError } from '../common/errors/domain.error';
import { AppLogger } from '../common/logging/app-logger';
import { ConfigValidationError, loadAppConfig } from '../config/app-config';

/**
 * Runs a command-line tool inside a Nest application context (no HTTP server). Known failures (bad configuration,
 * invalid data) print one clear message and exit 1; the context is always closed.
 */
export async function runCli(
  module: Type<unknown>,
  main: (app: INestApplicationContext) => Promise<void>,
): Promise<void> {
  let app: INestApplicationContext | undefined;
  try {
    const config = loadAppConfig({ LOG_LEVEL: 'warn', ...process.env });
    app = await NestFactory.createApplicationContext(module, { logger: new AppLogger(config) });
    await main(app);
  } catch (error) {
    if (error instanceof ConfigValidationError || error instanceof DomainError) {
      console.error(`Error: ${error.message}`);
      for (const problem of (error instanceof DomainError ? error.errors : undefined) ?? []) {
        console.error(`  - ${problem.message}`);
      }
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  } finally {
    await app?.close();
  }
}
