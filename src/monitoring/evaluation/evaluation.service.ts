import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DomainEvents } from '../../common/events/domain-events';
import { AppConfig } from '../../config/app-config';
import { evaluationSettings } from '../../definitions/definition-document.evaluation';
import { ModelCatalog } from '../../definitions/model-catalog.service';
import type { EvaluationSettings, MlTask } from '../../definitions/model-definition';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { ModelRegistryRepository } from '../../registry/model-registry.repository';
import { RegistryService } from '../../registry/registry.service';
import { TrafficPolicyView, TrafficService } from '../../registry/traffic/traffic.service';
import {
  DecisionDto,
  DegradationReportDto,
  EvaluationRunDto,
  ExperimentReportDto,
  ModelEvaluationDto,
} from './dto/evaluation.dto';
import { degradationReport, experimentReport } from './evaluation-report.util';
import { PerformanceDegradedEvent } from './evaluation.events';
import { DecisionRepository } from './decision.repository';
import { EvaluationRepository, LossColumn } from './evaluation.repository';
import { PreviousChampionScorer, RollbackEvidence } from './previous-champion.scorer';

/** Who the evaluation's promotions, rollbacks and policy changes are recorded as. */
export const EVALUATION_ACTOR = 'evaluation';
/** The kinds of decision a degraded champion leads to: at most one of them per model per window. */
export const DEGRADATION_KINDS = ['retrain', 'rollback', 'degraded'] as const;
const HOUR_MS = 3_600_000;

const lossColumn = (task: MlTask): LossColumn => (task === 'regression' ? 'squaredError' : 'logLoss');
const round = (value: number | null): string => (value === null ? 'n/a' : value.toPrecision(4));

/**
 * The online evaluation: every EVALUATION_INTERVAL_S, in processes that train (SERVICE_ROLE all or worker), each
 * model's experiment (canary, ab, shadow) is judged on its live losses, and its champion's live error against its
 * holdout error. Decisions follow the model's `evaluation` settings: promote a challenger that is better with the
 * configured confidence (an always-valid confidence sequence, so judging it every interval is sound), end an
 * experiment that has its answer or its deadline, retrain or roll back a degraded champion (once per window).
 * Every decision is appended to `decisions` with its evidence and counted (evaluation_decisions_total). A round runs alone:
 * one at a time in a process, and on PostgreSQL under an advisory lock shared by every replica.
 */
@Injectable()
export class EvaluationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EvaluationService.name);
  private timer?: NodeJS.Timeout;
  private rounds: Promise<unknown> = Promise.resolve();
  /** Rounds asked for and not finished: the timer skips a tick while one is still going. */
  private pending = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly catalog: ModelCatalog,
    private readonly registry: RegistryService,
    private readonly versions: ModelRegistryRepository,
    private readonly traffic: TrafficService,
    private readonly repository: EvaluationRepository,
    private readonly decisionLog: DecisionRepository,
    private readonly scorer: PreviousChampionScorer,
    private readonly metrics: ServiceMetrics,
    private readonly events: DomainEvents,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.EVALUATION_INTERVAL_S;
    if (seconds <= 0 || !this.config.trains) return;
    this.timer = setInterval(() => {
      if (this.pending > 0) return;
      this.evaluate().catch((error: unknown) => this.logger.error(`Evaluation round failed: ${String(error)}`));
    }, seconds * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One evaluation round of every model (or of `model`): what it found and decided. */
  evaluate(model?: string): Promise<EvaluationRunDto> {
    const names = model === undefined ? this.catalog.names : [this.catalog.resolve(model)];
    const run = async (): Promise<EvaluationRunDto> => {
      const models = await this.repository.exclusively(() => this.evaluateAll(names));
      return { evaluatedAt: new Date().toISOString(), ran: models !== undefined, models: models ?? [] };
    };
    this.pending++;
    const next = this.rounds.then(run, run).finally(() => this.pending--);
    this.rounds = next.catch(() => undefined);
    return next;
  }

  /** The experiment of a model's traffic policy in force, as the next round would judge it. */
  async experiment(model: string): Promise<ExperimentReportDto> {
    const name = this.catalog.resolve(model);
    return this.experimentOf(name, await this.traffic.current(name), this.settings(name));
  }

  /** The decisions audit trail, newest first. */
  async decisions(model: string | undefined, limit = 100): Promise<DecisionDto[]> {
    const name = model === undefined ? undefined : this.catalog.resolve(model);
    return (await this.decisionLog.list(name, limit)).map((d) => DecisionDto.from(d));
  }

  private settings(name: string): EvaluationSettings {
    return evaluationSettings(this.catalog.require(name));
  }

  private async evaluateAll(names: readonly string[]): Promise<ModelEvaluationDto[]> {
    const results: ModelEvaluationDto[] = [];
    for (const name of names) {
      try {
        results.push(await this.evaluateModel(name));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn(`Evaluation of ${name} failed: ${message}`);
        results.push({ model: name, experiment: null, degradation: null, decisions: [], error: message });
      }
    }
    return results;
  }

  private async evaluateModel(name: string): Promise<ModelEvaluationDto> {
    const settings = this.settings(name);
    const policy = await this.traffic.current(name);
    const experiment = await this.experimentOf(name, policy, settings);
    const decisions: DecisionDto[] = [];
    if (experiment.action !== 'none') decisions.push(await this.decideExperiment(experiment));
    const degradation = await this.degradationOf(name, settings);
    if (degradation.state === 'degraded') {
      decisions.push(await this.decideDegradation(name, policy.policyId, degradation, settings));
    }
    return { model: name, experiment, degradation, decisions };
  }

  private async experimentOf(
    name: string,
    policy: TrafficPolicyView,
    settings: EvaluationSettings,
  ): Promise<ExperimentReportDto> {
    const task = this.catalog.require(name).task;
    const loss = lossColumn(task);
    const arms = policy.mode === 'champion' ? new Map() : await this.repository.armSums(name, policy.policyId, loss);
    const paired =
      policy.mode === 'shadow' && policy.champion !== null
        ? await this.repository.pairedSums(name, policy.policyId, policy.champion, loss)
        : [];
    return experimentReport({ policy, task, settings, arms, paired, now: new Date() });
  }

  private async decideExperiment(report: ExperimentReportDto): Promise<DecisionDto> {
    const { model, winner, policyId } = report;
    const evidence = { experiment: report };
    const comparison = report.comparisons.find((c) => c.version === winner);
    if (report.action === 'promote' && winner !== null && comparison) {
      const { estimate, lower, upper } = comparison.sequence;
      const baseline = report.arms.find((a) => a.role === 'champion')?.version;
      const summary =
        `Promoted version ${winner} of ${model} (${report.mode} policy ${policyId}): its mean loss is lower than ` +
        `version ${baseline}'s by ${round(-estimate)} (difference in [${round(lower)}, ${round(upper)}] at ` +
        `${report.rule.comparisonConfidence}, always valid) over ${comparison.n} rows`;
      await this.registry.promote(model, winner, { force: true, reason: summary, actor: EVALUATION_ACTOR });
      await this.traffic.set(model, { mode: 'champion' }, EVALUATION_ACTOR, summary);
      return this.record(model, 'promote', policyId, summary, evidence);
    }
    const why =
      report.state === 'champion_better'
        ? 'every challenger is worse than the champion'
        : `no decision by its deadline (${report.rule.deadline ?? '?'}, ${report.rule.maxDays} days)`;
    const summary = `Ended the ${report.mode} experiment of ${model} (policy ${policyId}): ${why}`;
    await this.traffic.set(model, { mode: 'champion' }, EVALUATION_ACTOR, summary);
    return this.record(model, 'end_experiment', policyId, summary, evidence);
  }

  private async degradationOf(name: string, settings: EvaluationSettings): Promise<DegradationReportDto> {
    const task = this.catalog.require(name).task;
    const { windowHours } = settings.degradation;
    const version = (await this.versions.findAlias(name, 'champion')) ?? null;
    const entity = version === null ? null : await this.versions.findVersion(name, version);
    const since = new Date(Date.now() - windowHours * HOUR_MS);
    const live =
      version === null
        ? { n: 0, sum: 0, correct: 0 }
        : await this.repository.windowSums(name, version, since, lossColumn(task));
    const report = degradationReport({
      task,
      settings: settings.degradation,
      version,
      holdoutMetrics: entity?.metrics ?? null,
      live,
    });
    if (report.state !== 'degraded') return report;
    const last = await this.decisionLog.latest(name, DEGRADATION_KINDS, since);
    return last ? { ...report, state: 'cooldown' } : report;
  }

  private async decideDegradation(
    name: string,
    policyId: number,
    report: DegradationReportDto,
    settings: EvaluationSettings,
  ): Promise<DecisionDto> {
    const version = report.version ?? 0;
    const figures =
      `live ${report.metric} ${round(report.live)} over ${report.n} rows in ${report.windowHours} h > holdout ` +
      `${round(report.holdout)} × (1 + ${report.margin}) = ${round(report.threshold)}`;
    const evidence: Record<string, unknown> = { degradation: report };
    if (report.action === 'none') {
      const summary = `Version ${version} of ${name} degraded: ${figures}; no action (degradation action none)`;
      return this.record(name, 'degraded', policyId, summary, evidence);
    }
    if (report.action === 'rollback_or_retrain') {
      const since = new Date(Date.now() - report.windowHours * HOUR_MS);
      const task = this.catalog.require(name).task;
      const rollback: RollbackEvidence = await this.scorer.score(name, version, since, task, settings.confidence);
      evidence.rollback = rollback;
      if (rollback.better && rollback.previous !== null) {
        const summary =
          `Rolled ${name} back from version ${version} to ${rollback.previous}: ${figures}; on the same ` +
          `${rollback.rows} rows version ${rollback.previous} scores ${round(rollback.previousValue)}`;
        await this.registry.rollback(name, EVALUATION_ACTOR, summary);
        return this.record(name, 'rollback', policyId, summary, evidence);
      }
    }
    const summary = `Retraining ${name}: version ${version} degraded: ${figures}`;
    const decision = await this.record(name, 'retrain', policyId, summary, evidence);
    this.events.emit(
      'performance.degraded',
      new PerformanceDegradedEvent(name, version, decision.id, summary, evidence),
    );
    return decision;
  }

  private async record(
    model: string,
    kind: string,
    policyId: number,
    summary: string,
    evidence: Record<string, unknown>,
  ): Promise<DecisionDto> {
    const decision = await this.decisionLog.append({ modelName: model, kind, policyId, summary, evidence });
    this.metrics.decided(model, kind);
    this.logger.log(`Decision ${decision.id} (${kind}): ${summary}`);
    return DecisionDto.from(decision);
  }
}
