/**
 * Typed mocks of the repositories and collaborators that services are built with in their unit specs
 * (`src/**\/*.service.spec.ts`), and builders of the entities they return. Each mock is `jest.Mocked<Pick<Class, …>>`:
 * the picked methods keep their real signatures, so `mockResolvedValue` and `toHaveBeenCalledWith` stay type-checked.
 */
import type { ClusterBus } from '../../src/cluster/cluster-bus.service';
import type { DomainEvents } from '../../src/common/events/domain-events';
import { DatasetSplitEntity } from '../../src/data/entities/dataset-split.entity';
import { DatasetEntity } from '../../src/data/entities/dataset.entity';
import type { DatasetRepository } from '../../src/data/dataset.repository';
import { compilePipeline } from '../../src/data/pipeline/definition-pipeline';
import type { DefinitionRepository } from '../../src/definitions/definition.repository';
import { ModelDefinitionEntity } from '../../src/definitions/entities/model-definition.entity';
import type { ModelDefinition } from '../../src/definitions/model-definition';
import type { ServiceMetrics } from '../../src/metrics/service-metrics';
import { AliasEventEntity } from '../../src/registry/entities/alias-event.entity';
import { ModelVersionEntity } from '../../src/registry/entities/model-version.entity';
import type { ModelRegistryRepository } from '../../src/registry/model-registry.repository';
import { ServedModel } from '../../src/registry/served-model';
import { RetrainJobEntity } from '../../src/retraining/entities/retrain-job.entity';
import type { RetrainJobRepository } from '../../src/retraining/retrain-job.repository';
import { RunEntity } from '../../src/training/entities/run.entity';
import { LinearRegressionModel } from '../../src/training/models/linear-regression.model';
import type { RunRepository } from '../../src/training/run.repository';

/** The methods `K` of `T` as jest mocks, with their real signatures. */
export type MockOf<T, K extends keyof T> = jest.Mocked<Pick<T, K>>;

/**
 * Hands a mock to a constructor that wants the whole class. Only the mocked members exist: a call to any other
 * fails the test with "is not a function", which is what a spec should notice.
 */
export function asInstance<T>(mock: { [K in keyof T]?: unknown }): T {
  return mock as unknown as T;
}

export type ModelRegistryRepositoryMock = MockOf<
  ModelRegistryRepository,
  | 'createVersion'
  | 'findVersion'
  | 'findVersionByRun'
  | 'listVersions'
  | 'listAliases'
  | 'findAlias'
  | 'championStates'
  | 'moveAlias'
  | 'history'
>;

export const newModelRegistryRepositoryMock = (): ModelRegistryRepositoryMock => ({
  createVersion: jest.fn(),
  findVersion: jest.fn(),
  findVersionByRun: jest.fn(),
  listVersions: jest.fn(),
  listAliases: jest.fn(),
  findAlias: jest.fn(),
  championStates: jest.fn(),
  moveAlias: jest.fn(),
  history: jest.fn(),
});

export type RunRepositoryMock = MockOf<
  RunRepository,
  'findOrCreateExperiment' | 'listExperiments' | 'startRun' | 'finishRun' | 'findRun' | 'findRuns' | 'listRuns'
>;

export const newRunRepositoryMock = (): RunRepositoryMock => ({
  findOrCreateExperiment: jest.fn(),
  listExperiments: jest.fn(),
  startRun: jest.fn(),
  finishRun: jest.fn(),
  findRun: jest.fn(),
  findRuns: jest.fn().mockResolvedValue([]),
  listRuns: jest.fn(),
});

export type RetrainJobRepositoryMock = MockOf<
  RetrainJobRepository,
  | 'save'
  | 'enqueue'
  | 'active'
  | 'claim'
  | 'renew'
  | 'holds'
  | 'finish'
  | 'expired'
  | 'takeBack'
  | 'find'
  | 'list'
  | 'latest'
>;

export const newRetrainJobRepositoryMock = (): RetrainJobRepositoryMock => ({
  save: jest.fn(),
  enqueue: jest.fn(),
  active: jest.fn(),
  claim: jest.fn(),
  renew: jest.fn(),
  holds: jest.fn(),
  finish: jest.fn(),
  expired: jest.fn(),
  takeBack: jest.fn(),
  find: jest.fn(),
  list: jest.fn(),
  latest: jest.fn(),
});

export type DatasetRepositoryMock = MockOf<
  DatasetRepository,
  'findOrCreateDataset' | 'findSplit' | 'createSplit' | 'list' | 'findByVersion' | 'findVersions'
>;

export const newDatasetRepositoryMock = (): DatasetRepositoryMock => ({
  findOrCreateDataset: jest.fn(),
  findSplit: jest.fn(),
  createSplit: jest.fn(),
  list: jest.fn(),
  findByVersion: jest.fn(),
  findVersions: jest.fn(),
});

export type DefinitionRepositoryMock = MockOf<
  DefinitionRepository,
  'append' | 'latestPerModel' | 'latestRevisions' | 'findRevision' | 'history'
>;

export const newDefinitionRepositoryMock = (): DefinitionRepositoryMock => ({
  append: jest.fn(),
  latestPerModel: jest.fn(),
  latestRevisions: jest.fn(),
  findRevision: jest.fn(),
  history: jest.fn(),
});

/** The cluster bus of one process: `publish` resolves (as on SQLite, where it does nothing). */
export type ClusterBusMock = MockOf<ClusterBus, 'publish'> & Pick<ClusterBus, 'instance'>;

export const newClusterBusMock = (instance = 'test-host:1:0000'): ClusterBusMock => ({
  instance,
  publish: jest.fn().mockResolvedValue(undefined),
});

export type ServiceMetricsMock = MockOf<
  ServiceMetrics,
  'onScrape' | 'declareRetrainOutcomes' | 'retrained' | 'swapped' | 'loadFailed'
>;

export const newServiceMetricsMock = (): ServiceMetricsMock => ({
  onScrape: jest.fn(),
  declareRetrainOutcomes: jest.fn(),
  retrained: jest.fn(),
  swapped: jest.fn(),
  loadFailed: jest.fn(),
});

export type DomainEventsMock = MockOf<DomainEvents, 'emit'>;

export const newDomainEventsMock = (): DomainEventsMock => ({ emit: jest.fn() });

// Entities, as the repositories return them.

export const modelVersionEntity = (values: Partial<ModelVersionEntity> = {}): ModelVersionEntity =>
  Object.assign(new ModelVersionEntity(), {
    id: values.version ?? 1,
    modelName: 'toy',
    version: 1,
    runId: '00000000-0000-4000-8000-000000000001',
    candidate: 'linear',
    datasetVersion: 'a'.repeat(64),
    metrics: { rmse: 0.5 },
    artifactPath: 'models/toy/run-1.json',
    artifactSha256: 'b'.repeat(64),
    inputSignature: [],
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...values,
  });

export const runEntity = (values: Partial<RunEntity> = {}): RunEntity =>
  Object.assign(new RunEntity(), {
    id: '00000000-0000-4000-8000-000000000001',
    experimentId: 1,
    modelName: 'toy',
    candidate: 'linear',
    status: 'succeeded',
    params: {},
    metrics: { rmse: 0.5 },
    cvScores: null,
    featureImportances: null,
    trainSeconds: 1,
    predictMicrosPerRow: 1,
    datasetVersion: 'a'.repeat(64),
    split: 'seed:42/test:0.2',
    trainRows: 80,
    testRows: 20,
    artifactPath: 'models/toy/run-1.json',
    artifactSha256: 'b'.repeat(64),
    error: null,
    startedAt: new Date('2024-01-01T00:00:00Z'),
    finishedAt: new Date('2024-01-01T00:01:00Z'),
    ...values,
  });

export const aliasEventEntity = (values: Partial<AliasEventEntity> = {}): AliasEventEntity =>
  Object.assign(new AliasEventEntity(), {
    id: 1,
    modelName: 'toy',
    alias: 'champion',
    fromVersion: null,
    toVersion: 1,
    action: 'promote',
    reason: 'promote',
    actor: 'api',
    forced: false,
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...values,
  });

export const retrainJobEntity = (values: Partial<RetrainJobEntity> = {}): RetrainJobEntity =>
  Object.assign(new RetrainJobEntity(), {
    id: '00000000-0000-4000-8000-00000000000a',
    modelName: 'toy',
    trigger: 'api',
    status: 'queued',
    outcome: null,
    reason: 'asked',
    candidates: null,
    force: false,
    datasetVersion: null,
    runIds: null,
    bestRunId: null,
    version: null,
    fromVersion: null,
    comparison: null,
    stages: {},
    error: null,
    errorDetails: null,
    startedAt: new Date('2024-01-01T00:00:00Z'),
    claimedAt: null,
    claimedBy: null,
    leaseExpiresAt: null,
    attempts: 0,
    dedupeKey: null,
    finishedAt: null,
    ...values,
  });

export const datasetEntity = (values: Partial<DatasetEntity> = {}): DatasetEntity =>
  Object.assign(new DatasetEntity(), {
    id: 1,
    name: 'toy',
    version: 'a'.repeat(64),
    definitionSha256: 'c'.repeat(64),
    source: 'toy.csv',
    rowsRead: 10,
    rowsRejected: 0,
    valuesImputed: 0,
    rejectedSample: [],
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...values,
  });

export const datasetSplitEntity = (values: Partial<DatasetSplitEntity> = {}): DatasetSplitEntity =>
  Object.assign(new DatasetSplitEntity(), {
    id: 1,
    datasetId: 1,
    seed: 42,
    testFraction: 0.2,
    trainRows: 8,
    testRows: 2,
    trainIndices: [],
    testIndices: [],
    preprocessing: {},
    profile: [],
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...values,
  });

export const definitionRow = (values: Partial<ModelDefinitionEntity> = {}): ModelDefinitionEntity =>
  Object.assign(new ModelDefinitionEntity(), {
    id: 1,
    name: 'toy',
    revision: 1,
    action: 'put',
    document: null,
    actor: 'api',
    reason: null,
    createdAt: new Date('2024-01-01T00:00:00Z'),
    ...values,
  });

/**
 * A loaded version as ActiveModels.load returns it: the definition's pipeline (nothing fitted) and a linear model
 * with zero coefficients. Enough for code that reads its name, version and definition.
 */
export function servedModel(definition: ModelDefinition, version: number): ServedModel {
  const pipeline = compilePipeline(definition, {});
  const nFeatures = pipeline.spec.features.length;
  const estimator = LinearRegressionModel.fromJSON({
    kind: 'linear',
    formatVersion: 1,
    nFeatures,
    coefficients: new Array<number>(nFeatures).fill(0),
    intercept: 0,
  });
  return new ServedModel(
    definition.name,
    version,
    `run-of-${version}`,
    'linear',
    definition,
    pipeline,
    {},
    estimator,
    new Date(),
  );
}
