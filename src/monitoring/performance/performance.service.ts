import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { RequestValidationError } from '../../common/errors/request-validation.error';
import { OnDomainEvent } from '../../common/events/domain-events';
import { AppConfig } from '../../config/app-config';
import { ModelCatalog } from '../../definitions/model-catalog.service';
import type { ModelDefinition } from '../../definitions/model-definition';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { ModelRegistryRepository } from '../../registry/model-registry.repository';
import type { FeedbackAcceptedEvent } from '../feedback/feedback.events';
import { HoldoutScoreDto, LiveGroupDto, LivePointDto, PerformanceReportDto } from './dto/performance.dto';
import { GroupSums, OutcomeFilter, PerformanceRepository } from './performance.repository';
import { figuresOf, holdoutMetricsOf, holdoutScoresOf, mergeSums } from './performance.util';

/** Points of a series at most, and by default (the window in this many steps). */
const MAX_POINTS = 1000;
const DEFAULT_POINTS = 24;

/** Accepted feedback refreshes its model's gauges this long after the last of a burst. */
const REFRESH_DEBOUNCE_MS = 1000;

export interface ReportOptions {
  /** Seconds per point of the series (default: the window in 24 steps). */
  stepSeconds?: number;
  /** Only the predictions served under this traffic policy. */
  policyId?: number;
  /** The window's end (default: now). */
  now?: Date;
}

const role = (shadow: boolean): 'primary' | 'shadow' => (shadow ? 'shadow' : 'primary');

/**
 * Live performance: the prediction outcomes (ground truth joined to the log) aggregated per version, traffic policy
 * and role over a window of prediction times, beside each version's holdout scores. Serves
 * `GET /monitoring/performance` and the dashboard, and keeps the live_* and model_holdout_score gauges current:
 * every EVALUATION_INTERVAL_S (0 = off) for every model, and shortly after feedback is accepted for its model.
 */
@Injectable()
export class PerformanceService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PerformanceService.name);
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private readonly pending = new Set<string>();
  private refreshing: Promise<void> = Promise.resolve();
  /** Models whose gauges this process has set (those of a retired model are removed at the next refresh). */
  private readonly exported = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly registry: ModelRegistryRepository,
    private readonly repository: PerformanceRepository,
    private readonly metrics: ServiceMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.EVALUATION_INTERVAL_S;
    if (seconds <= 0) return;
    this.timer = setInterval(() => void this.refreshGauges(), seconds * 1000);
    this.timer.unref();
  }

  /** Stops refreshing, and waits for a refresh under way (it reads the database, which closes next). */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    await this.refreshing;
  }

  @OnDomainEvent('feedback.accepted')
  onFeedback(event: FeedbackAcceptedEvent): void {
    this.pending.add(event.model);
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const models = [...this.pending];
      this.pending.clear();
      void this.refreshGauges(models);
    }, REFRESH_DEBOUNCE_MS);
    this.debounce.unref();
  }

  /**
   * Live performance of `model` (a name or alias; 404 when unknown) over the last `windowSeconds` (default
   * LIVE_PERFORMANCE_WINDOW_S) of prediction times: per group, per step of the series, and the holdout scores of
   * the versions present.
   */
  async report(model: string, windowSeconds?: number, options: ReportOptions = {}): Promise<PerformanceReportDto> {
    const name = this.catalog.resolve(model);
    const definition = this.catalog.require(name);
    const seconds = windowSeconds ?? this.config.LIVE_PERFORMANCE_WINDOW_S;
    const step = options.stepSeconds ?? Math.max(1, Math.ceil(seconds / DEFAULT_POINTS));
    if (Math.ceil(seconds / step) > MAX_POINTS) {
      const least = Math.ceil(seconds / MAX_POINTS);
      const message = `stepSeconds must be at least ${least} for a window of ${seconds} s (at most ${MAX_POINTS} points)`;
      throw new RequestValidationError([{ field: 'stepSeconds', rule: 'min', message }]);
    }
    const filter = this.filter(name, seconds, options);
    const [{ groups, holdout }, buckets] = await Promise.all([
      this.figures(definition, filter),
      this.repository.series(filter, step * 1000),
    ]);
    const start = filter.from.getTime();
    const series = buckets
      .map((b): LivePointDto & { bucket: number } => ({
        bucket: b.bucket,
        from: new Date(start + b.bucket * step * 1000).toISOString(),
        to: new Date(Math.min(start + (b.bucket + 1) * step * 1000, filter.to.getTime())).toISOString(),
        version: b.version,
        role: role(b.shadow),
        ...figuresOf(definition.task, b),
      }))
      .sort((a, b) => a.bucket - b.bucket || a.version - b.version || a.role.localeCompare(b.role))
      .map(({ bucket: _bucket, ...point }) => point);
    return {
      model: name,
      task: definition.task,
      window: { from: filter.from.toISOString(), to: filter.to.toISOString(), seconds, stepSeconds: step },
      holdout,
      groups,
      series,
    };
  }

  /**
   * Refreshes the live gauges of `models` (default: every model in force) over LIVE_PERFORMANCE_WINDOW_S. Refreshes
   * run one after another; a model that fails is logged as a warning and the others go on.
   */
  refreshGauges(models?: readonly string[]): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.refresh(models));
    return this.refreshing;
  }

  private async refresh(models?: readonly string[]): Promise<void> {
    const names = models ?? this.catalog.names;
    if (!models) for (const gone of [...this.exported].filter((m) => !names.includes(m))) this.clear(gone);
    for (const name of names) {
      try {
        await this.refreshModel(name);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(`Live performance gauges of ${name} not refreshed: ${reason}`);
      }
    }
  }

  private async refreshModel(name: string): Promise<void> {
    const definition = this.catalog.require(name);
    const sums = await this.repository.groups(this.filter(name, this.config.LIVE_PERFORMANCE_WINDOW_S));
    // Gauge series are labelled by policy mode, not id: the groups of two policies of one mode add up.
    const series = mergeSums(sums, (g) => `${g.version}\0${g.policy}\0${g.shadow}`).map((g) => ({
      version: g.version,
      policy: g.policy,
      role: role(g.shadow),
      figures: figuresOf(definition.task, g),
    }));
    this.metrics.livePerformance(name, series);
    this.metrics.holdoutScores(name, await this.holdout(definition, sums));
    this.exported.add(name);
  }

  private clear(model: string): void {
    this.metrics.livePerformance(model, []);
    this.metrics.holdoutScores(model, []);
    this.exported.delete(model);
  }

  private filter(model: string, seconds: number, options: ReportOptions = {}): OutcomeFilter {
    const to = options.now ?? new Date();
    return { model, from: new Date(to.getTime() - seconds * 1000), to, policyId: options.policyId };
  }

  private async figures(
    definition: ModelDefinition,
    filter: OutcomeFilter,
  ): Promise<{ groups: LiveGroupDto[]; holdout: HoldoutScoreDto[] }> {
    const sums = await this.repository.groups(filter);
    const groups = sums
      .map((g) => ({
        version: g.version,
        policy: g.policy,
        policyId: g.policyId,
        role: role(g.shadow),
        ...figuresOf(definition.task, g),
      }))
      .sort((a, b) => a.version - b.version || a.role.localeCompare(b.role) || a.policyId - b.policyId);
    return { groups, holdout: await this.holdout(definition, sums) };
  }

  /** The holdout scores of the versions that have live figures, from their registered runs' metrics. */
  private async holdout(definition: ModelDefinition, sums: readonly GroupSums[]): Promise<HoldoutScoreDto[]> {
    const versions = [...new Set(sums.map((g) => g.version))].sort((a, b) => a - b);
    const metrics = holdoutMetricsOf(definition);
    const scores: HoldoutScoreDto[] = [];
    for (const version of versions) {
      const row = await this.registry.findVersion(definition.name, version);
      if (row) for (const score of holdoutScoresOf(row.metrics, metrics)) scores.push({ version, ...score });
    }
    return scores;
  }
}
