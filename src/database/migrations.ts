import type { MigrationInterface } from 'typeorm';
import { InitialSchema1763884800000 } from './migrations/1763884800000-initial-schema';
import { ExperimentsAndRuns1763888400000 } from './migrations/1763888400000-experiments-and-runs';
import { RegistryAndPredictions1763892000000 } from './migrations/1763892000000-registry-and-predictions';
import { PredictionRequests1763895600000 } from './migrations/1763895600000-prediction-requests';
import { Retraining1763899200000 } from './migrations/1763899200000-retraining';
import { ModelDefinitions1764633600000 } from './migrations/1764633600000-model-definitions';
import { DatasetDefinitions1764637200000 } from './migrations/1764637200000-dataset-definitions';
import { JobQueue1764720000000 } from './migrations/1764720000000-job-queue';
import { PostgresSchema1764720000000 } from './migrations/1764720000000-postgres-schema';
import { VersionRunUnique1764806400000 } from './migrations/1764806400000-version-run-unique';
import {
  OnlineEvaluationPostgres1764892800000,
  OnlineEvaluationSqlite1764892800000,
} from './migrations/1764892800000-online-evaluation';
import { ShapImportances1764979200000 } from './migrations/1764979200000-shap-importances';
import { ClientAddress1765065600000 } from './migrations/1765065600000-client-address';
import {
  ArtifactRetentionPostgres1765152000000,
  ArtifactRetentionSqlite1765152000000,
} from './migrations/1765152000000-artifact-retention';

type Migration = new () => MigrationInterface;

/**
 * Every migration of each database, in order. TypeORM runs the pending ones at start; a spec checks that each
 * dialect's schema matches the entities. A PostgreSQL database starts from the schema SQLite had reached when
 * PostgreSQL was added; from then on a migration is written for both lists.
 */
export const MIGRATIONS: Record<'sqlite' | 'postgres', Migration[]> = {
  postgres: [
    PostgresSchema1764720000000,
    VersionRunUnique1764806400000,
    OnlineEvaluationPostgres1764892800000,
    ShapImportances1764979200000,
    ClientAddress1765065600000,
    ArtifactRetentionPostgres1765152000000,
  ],
  sqlite: [
    InitialSchema1763884800000,
    ExperimentsAndRuns1763888400000,
    RegistryAndPredictions1763892000000,
    PredictionRequests1763895600000,
    Retraining1763899200000,
    ModelDefinitions1764633600000,
    DatasetDefinitions1764637200000,
    JobQueue1764720000000,
    VersionRunUnique1764806400000,
    OnlineEvaluationSqlite1764892800000,
    ShapImportances1764979200000,
    ClientAddress1765065600000,
    ArtifactRetentionSqlite1765152000000,
  ],
};
