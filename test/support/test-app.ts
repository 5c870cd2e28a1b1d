import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  createAdapter,
  restrictToRole,
  setupDirectRoutes,
  setupSecurityHeaders,
  setupSwagger,
} from '../../src/app.factory';
import { AppModule } from '../../src/app.module';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import type { WorkerScript } from '../../src/common/worker-script';
import { PREDICTION_LOG_WORKER_SCRIPT } from '../../src/prediction/prediction-log.writer';
import { TRAINING_WORKER_SCRIPT, TrainingWorkerScript } from '../../src/training/worker/training-worker.client';
import { realHousingCsvPath, REPO_ROOT } from './housing-data';
import { scratchDatabase, TEST_DATABASE_URL } from './scratch-database';

/** A worker thread's script run from its TypeScript source (the service runs the compiled one). */
const sourceWorker = (...path: string[]): WorkerScript => ({
  file: join(REPO_ROOT, 'src', ...path),
  execArgv: ['--require', join(REPO_ROOT, 'test', 'support', 'register-ts.js')],
});
export const sourceTrainingWorker = (): TrainingWorkerScript =>
  sourceWorker('training', 'worker', 'training.worker.ts');
export const sourcePredictionLogWorker = (): WorkerScript => sourceWorker('prediction', 'prediction-log.worker.ts');

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
 * directory with its own SQLite file (or, with TEST_DATABASE_URL, its own PostgreSQL database: one per DATA_DIR
 * given, so a restart on the same folder finds its state, else a new one dropped at close); the real housing CSV
 * is read from where the tests keep it.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mlops-e2e-'));
  const scratch =
    TEST_DATABASE_URL && env.DATABASE_URL === undefined
      ? await scratchDatabase(TEST_DATABASE_URL, env.DATA_DIR)
      : undefined;
  const config = loadAppConfig({
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
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
    .overrideProvider(PREDICTION_LOG_WORKER_SCRIPT)
    .useValue(sourcePredictionLogWorker())
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createAdapter({
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      largeBodyLimit: config.IMPORT_BODY_LIMIT_BYTES,
      trustProxy: config.TRUST_PROXY,
    }),
    { logger: ['error'] },
  );
  setupSecurityHeaders(app);
  setupDirectRoutes(app);
  restrictToRole(app);
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
      if (scratch && env.DATA_DIR === undefined) await scratch.drop();
    },
  };
}

/**
 * The `nth` retraining job of a model (1 = its first) once it has finished: a definition set through the API queues
 * one just after it answers, so a caller names the job it waits for rather than taking the newest at once.
 */
export async function finishedRetrainJob(
  app: NestFastifyApplication,
  model: string,
  nth = 1,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const jobs = (await app.inject({ url: `/retrain/jobs?model=${model}&limit=100` })).json<
      Record<string, unknown>[]
    >();
    const job = jobs.length >= nth ? jobs[jobs.length - nth] : undefined;
    if (job && job.status !== 'queued' && job.status !== 'running') return job;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`retraining job ${nth} of ${model} did not finish`);
}
