import { Injectable } from '@nestjs/common';
import { DataService } from '../data/data.service';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { RunRepository } from '../training/run.repository';
import { ActiveModels } from './active-models.service';
import { HoldoutEvaluator, HoldoutPredictions } from './holdout-evaluator.service';
import { ModelVersionNotFoundError } from './registry.errors';
import {
  AliasEventDto,
  AliasMoveDto,
  ModelDetailDto,
  ModelSummaryDto,
  ModelVersionDto,
  PromoteDto,
} from './dto/model.dto';
import { ModelRegistryRepository } from './model-registry.repository';
import { RegistryService } from './registry.service';

/** The HTTP face of the registry: reads shaped as DTOs, and the writes delegated to RegistryService. */
@Injectable()
export class ModelsService {
  constructor(
    private readonly data: DataService,
    private readonly catalog: ModelCatalog,
    private readonly registry: RegistryService,
    private readonly repository: ModelRegistryRepository,
    private readonly active: ActiveModels,
    private readonly runs: RunRepository,
    private readonly evaluator: HoldoutEvaluator,
  ) {}

  /** A version's predictions on the holdout rows of its run, beside the truth (the served version is reused). */
  async holdout(name: string, version: number): Promise<HoldoutPredictions & { model: string; version: number }> {
    const found = await this.registry.version(name, version);
    const run = await this.runs.findRun(found.runId);
    if (!run) throw new ModelVersionNotFoundError(name, version);
    const served = this.active.get(name);
    const model = served?.version === version ? served : await this.active.load(found);
    return { model: name, version, ...(await this.evaluator.predictions(run, model)) };
  }

  /** Every model in force, then every definition refused at load (status broken, with its problems). */
  async list(): Promise<ModelSummaryDto[]> {
    const models = await Promise.all(this.data.names.map((name) => this.summary(name)));
    const broken = this.catalog.brokenDefinitions().map((b): ModelSummaryDto => ({
      name: b.name ?? b.location,
      status: 'broken',
      origin: b.origin,
      task: null,
      champion: null,
      challenger: null,
      servedVersion: null,
      versionCount: 0,
      problems: b.problems,
    }));
    return [...models, ...broken];
  }

  async get(name: string): Promise<ModelDetailDto> {
    const summary = await this.summary(name);
    const versions = await this.repository.listVersions(name);
    const aliases = await this.repository.listAliases(name);
    const aliasesOf = (v: number) => aliases.filter((a) => a.version === v).map((a) => a.alias);
    const runs = new Map((await this.runs.findRuns(versions.map((v) => v.runId))).map((r) => [r.id, r]));
    return {
      ...summary,
      versions: versions.map((v) => ModelVersionDto.from(v, aliasesOf(v.version), runs.get(v.runId))),
    };
  }

  async version(name: string, version: number): Promise<ModelVersionDto> {
    const found = await this.registry.version(name, version);
    const aliases = await this.repository.listAliases(name);
    return ModelVersionDto.from(
      found,
      aliases.filter((a) => a.version === version).map((a) => a.alias),
      await this.runs.findRun(found.runId),
    );
  }

  async history(name: string): Promise<AliasEventDto[]> {
    this.registry.requireModel(name);
    return (await this.repository.history(name)).map((event) => AliasEventDto.from(event));
  }

  async register(name: string, runId: string): Promise<ModelVersionDto> {
    return ModelVersionDto.from(await this.registry.register(name, runId), [], await this.runs.findRun(runId));
  }

  async promote(name: string, version: number, body: PromoteDto): Promise<AliasMoveDto> {
    return AliasMoveDto.from(await this.registry.promote(name, version, { ...body, actor: 'api' }));
  }

  async rollback(name: string, reason?: string): Promise<AliasMoveDto> {
    return AliasMoveDto.from(await this.registry.rollback(name, 'api', reason));
  }

  private async summary(name: string): Promise<ModelSummaryDto> {
    this.registry.requireModel(name);
    const aliases = await this.repository.listAliases(name);
    const find = (alias: string) => aliases.find((a) => a.alias === alias)?.version ?? null;
    return {
      name,
      status: 'ok',
      origin: this.catalog.entry(name)?.origin ?? 'builtin',
      task: this.catalog.require(name).task,
      champion: find('champion'),
      challenger: find('challenger'),
      servedVersion: this.active.get(name)?.version ?? null,
      versionCount: (await this.repository.listVersions(name)).length,
    };
  }
}
