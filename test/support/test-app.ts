import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createAdapter, setupSecurityHeaders, setupSwagger } from '../../src/app.factory';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import { TRAINING_WORKER_SCRIPT, TrainingWorkerScript } from '../../src/training/worker/training-worker.client';
import { realHousingCsvPath, REPO_ROOT } from './housing-data';

/** The training worker run from its TypeScript source (the service runs the compiled one). */
export const sourceTrainingWorker = (): TrainingWorkerScript => ({
  file: join(REPO_ROOT, 'src', 'training', 'worker', 'training.worker.ts'),
  execArgv: ['--require', join(REPO_ROOT, 'test', 'support', 'register-ts.js')],
});

/** The admin key every test app is started with, and the header that sends it. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const ADMIN = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

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
    // Most specs drive training themselves; the bootstrap spec turns this on.
    AUTO_TRAIN_ON_START: 'false',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .overrideProvider(TRAINING_WORKER_SCRIPT)
    .useValue(sourceTrainingWorker())
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createAdapter({ requestTimeoutMs: config.REQUEST_TIMEOUT_MS }),
    { logger: ['error'] },
  );
  setupSecurityHeaders(app);
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

/** The latest retraining job of a model once it has finished (a definition set through the API starts one). */
export async function finishedRetrainJob(app: NestFastifyApplication, model: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const [job] = (await app.inject({ url: `/retrain/jobs?model=${model}` })).json<Record<string, unknown>[]>();
    if (job && job.status !== 'running') return job;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`the retraining of ${model} did not finish`);
}
