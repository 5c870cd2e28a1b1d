import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createAdapter, setupSwagger } from '../../src/app.factory';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import { realHousingCsvPath } from './housing-data';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  dataSource: DataSource;
  dir: string;
  close(): Promise<void>;
}

/**
 * Boots the whole AppModule as production does (same adapter, Swagger, global providers), on a temporary data
 * directory with its own SQLite file; the real housing CSV is read from where the tests keep it.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-e2e-'));
  const config = loadAppConfig({
    DATA_DIR: join(dir, 'data'),
    MODELS_DIR: join(dir, 'models'),
    LOGS_DIR: join(dir, 'logs'),
    HOUSING_CSV_PATH: realHousingCsvPath(),
    LOG_LEVEL: 'error',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(), { logger: ['error'] });
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    dataSource: app.get(DataSource),
    dir,
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
