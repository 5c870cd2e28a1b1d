import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { PreparedDataset } from '../data/data.service';
import { ArtifactStore } from './artifact-store.service';
import { artifactEnvelope } from './model-artifact';
import { RunEntity } from './entities/run.entity';
import { Estimator, featureImportances } from './models/estimator';
import { meanAbsContributions } from './models/explanation';
import { RunRepository } from './run.repository';
import { formatSplitLabel } from './split-label.util';
import { evaluate, predictMicrosPerRow } from './training-job';
import { holdoutData } from './training-matrices.util';

/** A model fitted elsewhere (an imported XGBoost model), to be recorded as a run of the service. */
export interface ImportedFit {
  /** The run's candidate name (`xgboost`). */
  candidate: string;
  /** Lineage: where it came from (`source: import`, format, the file's sha256 …) and what it is. */
  params: Record<string, unknown>;
  estimator: Estimator;
  /**
   * The dataset as the version reads it: its definition, the stored split and the values fitted on its training
   * part. The holdout is the split's test part, the same rows a trained candidate is scored on.
   */
  prepared: PreparedDataset;
}

/**
 * Records a model that was not fitted here as a run, like a trained candidate: scored once on the holdout, its
 * artifact written (atomically, with its sha256), its metrics, importances and speed stored. The run is then
 * registrable and gated like any other.
 */
@Injectable()
export class ImportedRunService {
  private readonly logger = new Logger(ImportedRunService.name);

  constructor(
    private readonly runs: RunRepository,
    private readonly artifacts: ArtifactStore,
  ) {}

  async record(fit: ImportedFit): Promise<RunEntity> {
    const { prepared, estimator } = fit;
    const spec = prepared.pipeline.spec;
    const test = holdoutData(prepared);
    const experiment = await this.runs.findOrCreateExperiment(prepared.model.name);
    const started = new Date();
    const run = await this.runs.startRun({
      id: randomUUID(),
      experimentId: experiment.id,
      modelName: prepared.model.name,
      candidate: fit.candidate,
      status: 'running',
      params: fit.params,
      metrics: null,
      cvScores: null,
      featureImportances: null,
      shapImportances: null,
      trainSeconds: null,
      predictMicrosPerRow: null,
      datasetVersion: prepared.dataset.version,
      split: formatSplitLabel({ kind: 'seeded', seed: prepared.split.seed, testFraction: prepared.split.testFraction }),
      trainRows: prepared.split.trainRows,
      testRows: test.y.length,
      artifactPath: null,
      artifactSha256: null,
      artifactPrunedAt: null,
      error: null,
      startedAt: started,
      finishedAt: null,
    });
    try {
      const metrics = evaluate(estimator, { task: spec.task, nClasses: spec.classes?.length ?? 1 }, test);
      const stored = await this.artifacts.write(
        artifactEnvelope(run, spec, prepared.split.preprocessing, prepared.model.definition),
        JSON.stringify(estimator.toJSON()),
      );
      const byName = (values?: Float64Array) =>
        values ? Object.fromEntries(spec.features.map((f, i) => [f.name, values[i]])) : null;
      const finished = await this.runs.finishRun(run.id, {
        status: 'succeeded',
        metrics,
        featureImportances: byName(featureImportances(estimator)),
        shapImportances: byName(meanAbsContributions(estimator, test.X, test.y.length)),
        trainSeconds: 0,
        predictMicrosPerRow: predictMicrosPerRow(estimator, test),
        artifactPath: stored.path,
        artifactSha256: stored.sha256,
        finishedAt: new Date(),
      });
      const scores = Object.entries(metrics).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
      this.logger.log(
        `Run ${run.id}: ${run.modelName}/${run.candidate} imported, holdout ` +
          scores.map(([name, value]) => `${name}=${value.toFixed(4)}`).join(' '),
      );
      return finished;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.runs.finishRun(run.id, { status: 'failed', error: message, finishedAt: new Date() });
      throw error;
    }
  }
}
