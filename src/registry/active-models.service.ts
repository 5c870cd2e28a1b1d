import { Injectable, Logger } from '@nestjs/common';
import { OnDomainEvent } from '../common/events/domain-events';
import { DefinitionRetiredEvent } from '../definitions/definition.events';
import { DataService } from '../data/data.service';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ArtifactStore } from '../training/artifact-store.service';
import { RunRepository } from '../training/run.repository';
import { ModelVersionEntity } from './entities/model-version.entity';
import { InvalidInputError } from '../ml/invalid-input.error';
import { ModelFormatError } from '../ml/model-format.error';
import { ArtifactLoadError, ArtifactPrunedError, ModelNotReadyError } from './registry.errors';
import { ServedModel } from './served-model';

/** A version refused at load: which, why, when. */
export interface LoadFailure {
  version: number;
  message: string;
  at: string;
}

/**
 * The served version of each model. A swap loads the artifact, checks its sha256, runs warm-up predictions on the
 * feature spec's example row, and only then replaces the reference in one assignment; a request reads the
 * reference once and finishes on the version it started with. A failed load leaves the old version serving.
 */
@Injectable()
export class ActiveModels {
  private readonly logger = new Logger(ActiveModels.name);
  private readonly served = new Map<string, ServedModel>();
  private readonly failures = new Map<string, LoadFailure>();
  /** The alias-event sequence of each served champion (see ChampionState). */
  private readonly sequences = new Map<string, number>();

  constructor(
    private readonly data: DataService,
    private readonly metrics: ServiceMetrics,
    private readonly artifacts: ArtifactStore,
    private readonly runs: RunRepository,
  ) {
    metrics.onScrape(() => {
      for (const name of data.names) {
        metrics.ready(name, this.served.has(name));
        metrics.declareModel(name);
      }
    });
  }

  get(name: string): ServedModel | undefined {
    return this.served.get(name);
  }

  /** The served version, or ModelNotReadyError (503). */
  require(name: string): ServedModel {
    const model = this.served.get(name);
    if (!model) throw new ModelNotReadyError(name);
    return model;
  }

  /** ArtifactPrunedError (410) when retention has removed the artifact of the version (also after it was loaded). */
  async requireKept(name: string, version: number, runId: string): Promise<void> {
    const prunedAt = (await this.runs.findRun(runId))?.artifactPrunedAt;
    if (prunedAt) throw new ArtifactPrunedError(name, version, prunedAt);
  }

  /**
   * Loads, verifies and warms up a version without serving it yet. A version whose artifact was deleted by retention is
   * refused with ArtifactPrunedError (410), which is not a load failure of the model.
   */
  async load(version: ModelVersionEntity): Promise<ServedModel> {
    const { modelName: name } = version;
    await this.requireKept(name, version.version, version.runId);
    try {
      const { artifact, estimator } = await this.artifacts.read(version.artifactPath, version.artifactSha256);
      // A version keeps the definition it was trained with; artifacts from before definitions use the current one.
      const definition = artifact.definition ?? this.data.dataset(name).definition;
      const pipeline = this.data.forDefinition(definition).pipeline(artifact.preprocessing, artifact.classes);
      const features = pipeline.spec.features.map((f) => f.name);
      if (artifact.features.join(',') !== features.join(',')) {
        throw new ModelFormatError(
          `its features (${artifact.features.length}) differ from those of its definition (${features.length})`,
        );
      }
      const model = new ServedModel(
        name,
        version.version,
        version.runId,
        version.candidate,
        definition,
        pipeline,
        artifact.preprocessing,
        estimator,
        new Date(),
      );
      for (let i = 0; i < 3; i++) model.predict([model.spec.example]);
      return model;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`Refused to load ${name} version ${version.version}: ${message}`);
      this.metrics.loadFailed(name);
      this.failures.set(name, { version: version.version, message, at: new Date().toISOString() });
      const refused = new ArtifactLoadError(`Model ${name} version ${version.version} cannot be loaded: ${message}`);
      refused.permanent = error instanceof ModelFormatError || error instanceof InvalidInputError;
      throw refused;
    }
  }

  /** The last version of `name` refused at load, if any (reported by /health/ready). */
  lastLoadFailure(name: string): LoadFailure | undefined {
    return this.failures.get(name);
  }

  /** Stops serving a retired model (its requests answer 404 from then on). */
  @OnDomainEvent('definition.retired')
  retire(event: DefinitionRetiredEvent): void {
    if (this.served.delete(event.name)) this.logger.log(`Stopped serving ${event.name}: retired`);
    this.failures.delete(event.name);
    this.sequences.delete(event.name);
  }

  /** Records that the served version of `name` is the champion as of `sequence` (when it is newer). */
  acknowledge(name: string, sequence: number): void {
    if (this.served.has(name) && sequence > this.sequence(name)) this.sequences.set(name, sequence);
  }

  /** The alias-event sequence of the served champion of `name` (0 when unknown). */
  sequence(name: string): number {
    return this.sequences.get(name) ?? 0;
  }

  /**
   * Serves a loaded version from the next request on. With `sequence` (the alias event that made it champion),
   * a version older than the one served is refused: two swaps racing (a local promotion and a replica's sync)
   * end on the newer champion whatever order they finish in. Returns whether it was activated.
   */
  activate(model: ServedModel, sequence?: number): boolean {
    if (sequence !== undefined) {
      if (sequence < this.sequence(model.name)) return false;
      this.sequences.set(model.name, sequence);
    }
    const previous = this.served.get(model.name);
    this.served.set(model.name, model);
    this.metrics.swapped(model.name, model.version, previous?.version);
    this.logger.log(`Serving ${model.name} version ${model.version}${previous ? ` (was ${previous.version})` : ''}`);
    return true;
  }
}
