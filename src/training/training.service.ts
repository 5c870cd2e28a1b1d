import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppConfig } from '../config/app-config';
import { DataService, PreparedDataset } from '../data/data.service';
import { FeaturePipeline, Preprocessing } from '../data/feature-spec';
import type { InputRow } from '../data/model-dataset';
import type { TableRecord } from '../data/table/table';
import type { ModelDefinition } from '../definitions/model-definition';
import type { TrainingData } from '../ml/training-data';
import { ArtifactStore } from './artifact-store.service';
import { artifactEnvelope } from './model-artifact';
import { CANDIDATES_BY_TASK, CandidateName, CandidateParams, DEFAULT_PARAMS } from './candidates';
import { RunEntity } from './entities/run.entity';
import { RunRepository } from './run.repository';
import { readSplitFile } from './split-file.util';
import { formatSplitLabel } from './split-label.util';
import { TrainingFailedError, TrainingInputError } from './training.errors';
import { trainingData } from './training-matrices.util';
import type { JobProgress, TrainingJob } from './training-job';
import { TrainingWorkerClient } from './worker/training-worker.client';

export interface TrainOptions {
  /** Candidates to fit (default: the definition's candidates). */
  candidates?: string[];
  /** JSON file `{"train": [...], "test": [...]}` of 0-based data-row indices, instead of the stored split. */
  splitFile?: string;
  onProgress?: (candidate: CandidateName, progress: JobProgress) => void;
  /** A dataset version already prepared for this model (the retraining pipeline prepares it first). */
  prepared?: PreparedDataset;
  /**
   * Asked before each candidate: true stops the training there, before its run is recorded (the retraining
   * pipeline's process is shutting down and has handed its job back).
   */
  shouldStop?: () => boolean;
}

interface Matrices {
  train: TrainingData;
  test: TrainingData;
  preprocessing: Preprocessing;
  pipeline: FeaturePipeline<InputRow>;
  split: string;
}

/**
 * Fits candidates for a model in a child process and tracks each fit as a run: parameters, holdout metrics,
 * cross-validation scores, timing, dataset version, and the artifact (written atomically, with its sha256).
 */
@Injectable()
export class TrainingService {
  private readonly logger = new Logger(TrainingService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly data: DataService,
    private readonly runs: RunRepository,
    private readonly worker: TrainingWorkerClient,
    private readonly artifacts: ArtifactStore,
  ) {}

  async train(model: string, options: TrainOptions = {}): Promise<RunEntity[]> {
    const prepared = options.prepared ?? (await this.data.prepare(model));
    const definition = prepared.model.definition;
    const candidates = this.candidates(definition, options.candidates);
    const matrices = await this.matrices(prepared, options.splitFile);
    const spec = matrices.pipeline.spec;
    const experiment = await this.runs.findOrCreateExperiment(model);
    const results: RunEntity[] = [];
    for (const candidate of candidates) {
      if (options.shouldStop?.()) {
        throw new TrainingFailedError(`Training ${model} stopped before ${candidate}: the service is shutting down`);
      }
      const job: TrainingJob = {
        candidate,
        task: spec.task,
        nClasses: spec.classes?.length ?? 1,
        params: this.params(definition, candidate),
        crossValidation: this.crossValidation(),
        train: matrices.train,
        test: matrices.test,
      };
      const run = await this.runs.startRun({
        id: randomUUID(),
        experimentId: experiment.id,
        modelName: model,
        candidate,
        status: 'running',
        params: job.params,
        metrics: null,
        cvScores: null,
        featureImportances: null,
        shapImportances: null,
        trainSeconds: null,
        predictMicrosPerRow: null,
        datasetVersion: prepared.dataset.version,
        split: matrices.split,
        trainRows: matrices.train.y.length,
        testRows: matrices.test.y.length,
        artifactPath: null,
        artifactSha256: null,
        artifactPrunedAt: null,
        error: null,
        startedAt: new Date(),
        finishedAt: null,
      });
      results.push(await this.fit(run, job, prepared, matrices, options.onProgress));
    }
    return results;
  }

  private async fit(
    run: RunEntity,
    job: TrainingJob,
    prepared: PreparedDataset,
    matrices: Matrices,
    onProgress?: TrainOptions['onProgress'],
  ): Promise<RunEntity> {
    const spec = matrices.pipeline.spec;
    this.logger.log(`Run ${run.id}: fitting ${run.modelName}/${run.candidate} on ${run.trainRows} rows`);
    try {
      const result = await this.worker.run(job, (progress) => onProgress?.(job.candidate, progress));
      const stored = await this.artifacts.write(
        artifactEnvelope(run, spec, matrices.preprocessing, prepared.model.definition),
        result.modelJson,
      );
      const byName = (values?: number[]) =>
        values ? Object.fromEntries(spec.features.map((f, i) => [f.name, values[i]])) : null;
      const finished = await this.runs.finishRun(run.id, {
        status: 'succeeded',
        params: result.params,
        metrics: result.metrics,
        cvScores: result.cv ?? null,
        featureImportances: byName(result.featureImportances),
        shapImportances: byName(result.shapImportances),
        trainSeconds: result.trainSeconds,
        predictMicrosPerRow: result.predictMicrosPerRow,
        artifactPath: stored.path,
        artifactSha256: stored.sha256,
        finishedAt: new Date(),
      });
      this.logger.log(
        `Run ${run.id}: ${run.candidate} succeeded in ${result.trainSeconds.toFixed(2)} s, holdout ${summary(result.metrics)}`,
      );
      return finished;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.runs.finishRun(run.id, { status: 'failed', error: message, finishedAt: new Date() });
      this.logger.error(`Run ${run.id}: ${run.candidate} failed: ${message}`);
      throw new TrainingFailedError(`Training ${run.modelName}/${run.candidate} failed (run ${run.id}): ${message}`);
    }
  }

  /** The candidates a training of `model` would fit; TrainingInputError (400) names unknown ones. */
  resolveCandidates(model: string, requested?: string[]): CandidateName[] {
    return this.candidates(this.data.dataset(model).definition, requested);
  }

  /** The definition's candidates by default; any candidate of the task on request. */
  private candidates(definition: ModelDefinition, requested?: string[]): CandidateName[] {
    if (!requested || requested.length === 0) return definition.candidates.map((c) => c.name as CandidateName);
    const allowed = CANDIDATES_BY_TASK[definition.task];
    const unknown = requested.filter((c) => !(allowed as readonly string[]).includes(c));
    if (unknown.length > 0) {
      throw new TrainingInputError(`Unknown candidate(s) ${unknown.join(', ')}; this model has ${allowed.join(', ')}`);
    }
    return [...new Set(requested)] as CandidateName[];
  }

  /** The task's defaults, then the definition's parameters, then TRAINING_PARAMS. */
  private params(definition: ModelDefinition, candidate: CandidateName): CandidateParams {
    const overrides = JSON.parse(this.config.TRAINING_PARAMS) as Record<string, Record<string, CandidateParams>>;
    return {
      ...DEFAULT_PARAMS[definition.task][candidate],
      ...(definition.candidates.find((c) => c.name === candidate)?.params ?? {}),
      ...(overrides[definition.name]?.[candidate] ?? {}),
    };
  }

  private crossValidation(): TrainingJob['crossValidation'] {
    const searchIterations = this.config.TRAINING_SEARCH_ITERATIONS;
    const folds = this.config.TRAINING_CV_FOLDS || (searchIterations > 0 ? 5 : 0);
    return folds >= 2 ? { folds, searchIterations, seed: this.config.SPLIT_SEED } : undefined;
  }

  private async matrices(prepared: PreparedDataset, splitFile?: string): Promise<Matrices> {
    const { model, split, table } = prepared;
    let train: TableRecord[] = prepared.train;
    let test: TableRecord[] = prepared.test;
    let preprocessing = split.preprocessing;
    let pipeline = prepared.pipeline;
    let label = formatSplitLabel({ kind: 'seeded', seed: split.seed, testFraction: split.testFraction });
    if (splitFile) {
      const text = await readFile(splitFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new TrainingInputError(`${splitFile}: cannot be read (${error.code ?? error.message})`);
      });
      const rows = readSplitFile(text, splitFile, prepared.table);
      train = rows.train;
      test = rows.test;
      preprocessing = model.fit(train);
      pipeline = model.pipeline(preprocessing, table.classes);
      label = formatSplitLabel({ kind: 'file', file: splitFile });
    }
    const part = (records: TableRecord[], fittedOn: boolean): TrainingData =>
      trainingData(model, pipeline, preprocessing, records, table.classes, fittedOn);
    return { train: part(train, true), test: part(test, false), preprocessing, pipeline, split: label };
  }
}

function summary(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, value]) => `${name}=${value.toFixed(4)}`)
    .join(' ');
}
