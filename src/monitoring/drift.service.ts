import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DomainEvents } from '../common/events/domain-events';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import type { FeatureProfile } from '../data/profile.util';
import type { ModelDefinition } from '../definitions/model-definition';
import { expandInputs } from '../prediction/prediction-log.codec';
import { PredictionLogService } from '../prediction/prediction-log.service';
import { ActiveModels } from '../registry/active-models.service';
import { RegistryService } from '../registry/registry.service';
import { RunRepository } from '../training/run.repository';
import { parseSplitLabel } from '../training/split-label.util';
import { DriftStatus, ks, psi, worst } from './drift.util';
import { DriftReportDto, FeatureDriftDto } from './dto/monitoring.dto';
import { DriftReferenceMissingError } from './monitoring.errors';
import { DriftCheckedEvent } from './monitoring.events';
import { ServiceMetrics } from '../metrics/service-metrics';

const STATUS_VALUE: Record<DriftStatus, 0 | 1 | 2> = { ok: 0, warn: 1, drift: 2 };

interface Thresholds {
  psiWarn: number;
  psiDrift: number;
  ksPValue: number;
  ksMinStatistic: number;
  minRows: number;
}

/**
 * Compares the most recent logged inputs of each served version (DRIFT_WINDOW_ROWS rows) with the training profile
 * of that version's split, feature by feature: PSI on the stored quantile bins and the two-sample
 * Kolmogorov–Smirnov statistic against the stored percentiles. Inputs go through the version's own feature
 * pipeline, so derived features are compared as the model sees them. Runs on request and every
 * DRIFT_CHECK_INTERVAL_S seconds, refreshing the feature_drift_* gauges.
 */
@Injectable()
export class DriftService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(DriftService.name);
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: RegistryService,
    private readonly active: ActiveModels,
    private readonly runs: RunRepository,
    private readonly data: DataService,
    private readonly log: PredictionLogService,
    private readonly metrics: ServiceMetrics,
    private readonly events: DomainEvents,
  ) {}

  onModuleInit(): void {
    const seconds = this.config.DRIFT_CHECK_INTERVAL_S;
    if (seconds <= 0) return;
    this.timer = setInterval(() => void this.checkAll(), seconds * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Checks every served model and announces each report (`drift.checked`: the drift retraining trigger listens); a
   * failure is logged and the next interval tries again.
   */
  async checkAll(): Promise<DriftReportDto[]> {
    if (this.checking) return [];
    this.checking = true;
    const reports: DriftReportDto[] = [];
    try {
      for (const name of this.data.names) {
        if (!this.active.get(name)) continue;
        try {
          const report = await this.report(name);
          reports.push(report);
          this.events.emit('drift.checked', new DriftCheckedEvent(report));
        } catch (error) {
          this.logger.warn(`Drift check of ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      this.checking = false;
    }
    return reports;
  }

  /** The drift report of the served version of `model` (404 unknown model, 503 not served yet). */
  async report(model: string): Promise<DriftReportDto> {
    this.registry.requireModel(model);
    const served = this.active.require(model);
    const version = await this.registry.version(model, served.version);
    const run = await this.runs.findRun(version.runId);
    const split = parseSplitLabel(run?.split ?? '');
    const reference =
      split?.kind === 'seeded'
        ? await this.data.trainingProfile(
            model,
            version.datasetVersion,
            served.definition,
            split.seed,
            split.testFraction,
          )
        : null;
    if (!run || !reference) throw new DriftReferenceMissingError(model, served.version, run?.split ?? 'unknown');

    const size = this.config.DRIFT_WINDOW_ROWS;
    const entries = await this.log.latestAnswered(model, served.version, size);
    const inputs = entries.flatMap((entry) => expandInputs(entry.inputs)).slice(0, size);
    const X = served.features(inputs);
    const width = served.spec.features.length;
    const thresholds = this.thresholds(served.definition);
    const enough = inputs.length >= thresholds.minRows;
    const features = reference.profile.map((profile, j) => {
      const column = new Float64Array(inputs.length);
      for (let i = 0; i < inputs.length; i++) column[i] = X[i * width + j];
      return this.judge(profile, column, reference.trainRows, enough, thresholds);
    });
    for (const f of features) {
      const status = f.status as DriftStatus | 'insufficient_data';
      this.metrics.drift(
        model,
        f.feature,
        status === 'insufficient_data'
          ? null
          : { psi: f.psi ?? 0, ks: f.ks?.statistic ?? 0, status: STATUS_VALUE[status] },
      );
    }
    const overall = enough
      ? features.reduce<DriftStatus>((acc, f) => worst(acc, f.status as DriftStatus), 'ok')
      : 'insufficient_data';
    const times = entries.map((e) => e.createdAt.getTime());
    return {
      model,
      version: served.version,
      status: overall,
      checkedAt: new Date().toISOString(),
      window: {
        rows: inputs.length,
        size,
        minRows: thresholds.minRows,
        from: times.length ? new Date(Math.min(...times)).toISOString() : null,
        to: times.length ? new Date(Math.max(...times)).toISOString() : null,
      },
      reference: { datasetVersion: version.datasetVersion, split: run.split, rows: reference.trainRows },
      thresholds: {
        psiWarn: thresholds.psiWarn,
        psiDrift: thresholds.psiDrift,
        ksPValue: thresholds.ksPValue,
        ksMinStatistic: thresholds.ksMinStatistic,
      },
      features,
    };
  }

  /** The definition's `drift` thresholds, each defaulting to its DRIFT_* setting. */
  private thresholds(definition: ModelDefinition): Thresholds {
    const own = definition.drift;
    return {
      psiWarn: own.psiWarn ?? this.config.DRIFT_PSI_WARN,
      psiDrift: own.psiDrift ?? this.config.DRIFT_PSI_DRIFT,
      ksPValue: own.ksPValue ?? this.config.DRIFT_KS_P_VALUE,
      ksMinStatistic: own.ksMinStatistic ?? this.config.DRIFT_KS_MIN_STATISTIC,
      minRows: own.minRows ?? this.config.DRIFT_MIN_ROWS,
    };
  }

  private judge(
    profile: FeatureProfile,
    values: Float64Array,
    referenceRows: number,
    enough: boolean,
    thresholds: Thresholds,
  ): FeatureDriftDto {
    const psiValue = psi(profile.bins, values);
    const ksValue = ks(profile.percentiles, referenceRows - profile.missing, values);
    let currentMean: number | null = null;
    if (values.length > 0) currentMean = values.reduce((a, b) => a + b, 0) / values.length;
    const base = {
      feature: profile.name,
      kind: profile.kind,
      psi: psiValue,
      ks: ksValue,
      currentMean,
      referenceMean: profile.mean,
    };
    if (!enough || psiValue === null || ksValue === null) {
      return { ...base, psiStatus: 'insufficient_data', ksStatus: 'insufficient_data', status: 'insufficient_data' };
    }
    const psiStatus: DriftStatus =
      psiValue >= thresholds.psiDrift ? 'drift' : psiValue >= thresholds.psiWarn ? 'warn' : 'ok';
    const ksStatus: DriftStatus =
      ksValue.pValue < thresholds.ksPValue && ksValue.statistic >= thresholds.ksMinStatistic ? 'drift' : 'ok';
    return { ...base, psiStatus, ksStatus, status: worst(psiStatus, ksStatus) };
  }
}
