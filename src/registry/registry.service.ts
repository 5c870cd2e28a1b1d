import { Injectable, Logger } from '@nestjs/common';
import { OnDomainEvent } from '../common/events/domain-events';
import { DefinitionRetiredEvent } from '../definitions/definition.events';
import type { ModelDefinition } from '../definitions/model-definition';
import { AppConfig } from '../config/app-config';
import { DataService } from '../data/data.service';
import { RunRepository } from '../training/run.repository';
import { ActiveModels } from './active-models.service';
import { AliasEventEntity } from './entities/alias-event.entity';
import { Alias, ALIASES } from './entities/model-alias.entity';
import { ModelVersionEntity } from './entities/model-version.entity';
import { Comparison, HoldoutEvaluator } from './holdout-evaluator.service';
import { ModelRegistryRepository } from './model-registry.repository';
import { ModelNotFoundError } from '../definitions/definition.errors';
import { ModelVersionNotFoundError, PromotionRefusedError, RunNotRegistrableError } from './registry.errors';

export interface PromoteOptions {
  alias?: Alias;
  force?: boolean;
  reason?: string;
  actor: string;
}

export interface AliasMoveResult {
  model: string;
  alias: Alias;
  fromVersion: number | null;
  toVersion: number;
  forced: boolean;
  comparison?: Comparison;
  event: AliasEventEntity;
}

/**
 * Model versions with lineage, the champion and challenger aliases, gated promotion, rollback and the audit
 * trail. Every alias move loads and warms the target version first, then records the move, then swaps it in.
 */
@Injectable()
export class RegistryService {
  private readonly logger = new Logger(RegistryService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly data: DataService,
    private readonly repository: ModelRegistryRepository,
    private readonly runs: RunRepository,
    private readonly active: ActiveModels,
    private readonly evaluator: HoldoutEvaluator,
  ) {}

  /** Names of the models the service knows. */
  get modelNames(): string[] {
    return this.data.names;
  }

  requireModel(name: string): void {
    if (!this.data.names.includes(name)) throw new ModelNotFoundError(name, this.data.names);
  }

  async version(name: string, version: number): Promise<ModelVersionEntity> {
    this.requireModel(name);
    const found = await this.repository.findVersion(name, version);
    if (!found) throw new ModelVersionNotFoundError(name, version);
    return found;
  }

  /** Registers a succeeded run as the next version of its model. */
  /**
   * `definition`: the one the run was trained with, when the caller knows it (the retraining pipeline does, even
   * if a newer definition was set meanwhile); otherwise the definition in force.
   */
  async register(name: string, runId: string, definition?: ModelDefinition): Promise<ModelVersionEntity> {
    this.requireModel(name);
    const run = await this.runs.findRun(runId);
    if (!run || run.modelName !== name) throw new RunNotRegistrableError(`Model ${name} has no run ${runId}`);
    if (run.status !== 'succeeded' || !run.artifactPath || !run.artifactSha256 || !run.metrics) {
      throw new RunNotRegistrableError(`Run ${runId} is ${run.status}: only succeeded runs can be registered`);
    }
    if (run.artifactPrunedAt) {
      throw new RunNotRegistrableError(
        `Run ${runId} cannot be registered: its artifact was removed by retention at ${run.artifactPrunedAt.toISOString()}`,
      );
    }
    const existing = await this.repository.findVersionByRun(runId);
    if (existing) throw new RunNotRegistrableError(`Run ${runId} is already version ${existing.version} of ${name}`);
    const version = await this.repository.createVersion({
      modelName: name,
      runId,
      candidate: run.candidate,
      datasetVersion: run.datasetVersion,
      metrics: run.metrics,
      artifactPath: run.artifactPath,
      artifactSha256: run.artifactSha256,
      inputSignature: [...(definition ?? this.data.dataset(name).definition).features],
    });
    this.logger.log(`Registered ${name} version ${version.version} from run ${runId} (${run.candidate})`);
    return version;
  }

  /**
   * Moves an alias to a version. `champion` moves are refused (409, both scores in the message) unless the
   * version beats the current champion on the same holdout rows by PROMOTION_MARGIN; `force` overrides and is
   * recorded as such.
   */
  async promote(name: string, versionNumber: number, options: PromoteOptions): Promise<AliasMoveResult> {
    const alias = options.alias ?? 'champion';
    const version = await this.version(name, versionNumber);
    const current = await this.repository.findAlias(name, alias);
    if (current === versionNumber) {
      throw new PromotionRefusedError(`Version ${versionNumber} of ${name} is already the ${alias}`);
    }
    const candidate = await this.active.load(version);
    let comparison: Comparison | undefined;
    let skipped: string | undefined;
    if (alias === 'champion' && current !== undefined && !options.force) {
      const run = await this.runs.findRun(version.runId);
      // The champion the database names (another process may have moved it since this one last served it).
      const served = this.active.get(name);
      const champion = served?.version === current ? served : await this.active.load(await this.version(name, current));
      skipped = incomparable(candidate.definition, champion.definition);
      if (!run && !skipped) {
        // Without its run there is no holdout to judge the version on: an unjudged promotion must be asked for.
        throw new PromotionRefusedError(
          `Version ${versionNumber} of ${name} cannot be compared with champion version ${current}: its run ` +
            `${version.runId} is gone; send {"force": true} to promote anyway`,
        );
      }
      if (run && !skipped) comparison = await this.evaluator.compare(run, candidate, champion);
      const margin = candidate.definition.gate.margin ?? this.config.PROMOTION_MARGIN;
      if (comparison && !wins(comparison, margin)) {
        const { metric, candidate: c, champion: ch, rows } = comparison;
        throw new PromotionRefusedError(
          `Version ${versionNumber} (${metric} ${c.toFixed(4)}) does not beat champion version ${current} ` +
            `(${metric} ${ch.toFixed(4)}) by the margin ${margin} on the same ${rows} holdout ` +
            'rows; send {"force": true} to promote anyway',
        );
      }
    }
    const scores = comparison
      ? `${comparison.metric} ${comparison.candidate.toFixed(4)} vs ${comparison.champion.toFixed(4)} on ${comparison.rows} rows`
      : undefined;
    const gate = skipped ? `gate skipped: ${skipped}` : undefined;
    const reason = [options.reason, options.force ? 'forced' : undefined, scores, gate].filter(Boolean).join('; ');
    const event = await this.repository.moveAlias({
      modelName: name,
      alias,
      fromVersion: current ?? null,
      toVersion: versionNumber,
      action: current === undefined && options.actor === 'system' ? 'bootstrap' : 'promote',
      reason: reason || 'promote',
      actor: options.actor,
      forced: Boolean(options.force),
    });
    if (alias === 'champion') this.active.activate(candidate, event.id);
    return {
      model: name,
      alias,
      fromVersion: current ?? null,
      toVersion: versionNumber,
      forced: event.forced,
      comparison,
      event,
    };
  }

  /** Moves `champion` back to the version that was champion before the current one. */
  async rollback(name: string, actor: string, reason?: string): Promise<AliasMoveResult> {
    this.requireModel(name);
    const stack: number[] = [];
    for (const event of await this.repository.history(name)) {
      if (event.alias !== 'champion') continue;
      if (event.action === 'retire')
        stack.length = 0; // never back across a retirement
      else if (event.toVersion === null) continue;
      else if (event.action === 'rollback') stack.pop();
      else stack.push(event.toVersion);
    }
    const current = stack.at(-1);
    const previous = stack.at(-2);
    if (current === undefined || previous === undefined) {
      throw new PromotionRefusedError(`Model ${name} has no previous champion to roll back to`);
    }
    const target = await this.active.load(await this.version(name, previous));
    const event = await this.repository.moveAlias({
      modelName: name,
      alias: 'champion',
      fromVersion: current,
      toVersion: previous,
      action: 'rollback',
      reason: reason ?? 'rollback',
      actor,
      forced: false,
    });
    this.active.activate(target, event.id);
    return { model: name, alias: 'champion', fromVersion: current, toVersion: previous, forced: false, event };
  }

  /**
   * A retired model loses its aliases (audited as `retire`): its versions stay, and a definition set for the name
   * later starts like a first start instead of being gated against a model that no longer exists.
   */
  @OnDomainEvent('definition.retired')
  async onRetired(event: DefinitionRetiredEvent): Promise<void> {
    if (event.remote) return; // the replica that retired it cleared the aliases
    for (const alias of ALIASES) {
      const current = await this.repository.findAlias(event.name, alias);
      if (current === undefined) continue;
      await this.repository.moveAlias({
        modelName: event.name,
        alias,
        fromVersion: current,
        toVersion: null,
        action: 'retire',
        reason: 'the model was retired',
        actor: event.actor,
        forced: false,
      });
    }
  }
}

/**
 * Why a champion cannot be judged on a candidate's holdout rows, if it cannot: its definition has another task or
 * target, or needs an input the candidate's rows do not have (a tree would route the missing value down a default
 * branch and get a score that means nothing). Such a candidate replaces the champion like at a first start.
 */
function incomparable(candidate: ModelDefinition, champion: ModelDefinition): string | undefined {
  if (candidate.task !== champion.task) return `the champion is a ${champion.task} model`;
  const { name, divideBy } = champion.target;
  if (candidate.target.name !== name || candidate.target.divideBy !== divideBy) {
    return `the champion predicts ${name}${divideBy === 1 ? '' : ` / ${divideBy}`}`;
  }
  const inputs = new Map(candidate.features.map((f) => [f.name, f.type]));
  const missing = champion.features.filter((f) => inputs.get(f.name) !== f.type).map((f) => f.name);
  return missing.length > 0 ? `the champion needs input(s) the new definition lacks: ${missing.join(', ')}` : undefined;
}

/** True when the candidate beats the champion by the margin; a champion scoring NaN loses to a candidate that does not. */
function wins({ candidate, champion, higherIsBetter }: Comparison, margin: number): boolean {
  if (!Number.isFinite(champion)) return Number.isFinite(candidate);
  return higherIsBetter ? candidate > champion + margin : candidate < champion - margin;
}
