import { Injectable, Logger } from '@nestjs/common';
import { DataService } from '../data/data.service';
import { readArtifact } from '../training/model-artifact';
import { ModelVersionEntity } from './entities/model-version.entity';
import { ArtifactLoadError, ModelNotReadyError } from './registry.errors';
import { ServedModel } from './served-model';

/**
 * The served version of each model. A swap loads the artifact, checks its sha256, runs warm-up predictions on the
 * feature spec's example row, and only then replaces the reference in one assignment; a request reads the
 * reference once and finishes on the version it started with. A failed load leaves the old version serving.
 */
@Injectable()
export class ActiveModels {
  private readonly logger = new Logger(ActiveModels.name);
  private readonly served = new Map<string, ServedModel>();

  constructor(private readonly data: DataService) {}

  get(name: string): ServedModel | undefined {
    return this.served.get(name);
  }

  /** The served version, or ModelNotReadyError (503). */
  require(name: string): ServedModel {
    const model = this.served.get(name);
    if (!model) throw new ModelNotReadyError(name);
    return model;
  }

  /** Loads, verifies and warms up a version without serving it yet. */
  async load(version: ModelVersionEntity): Promise<ServedModel> {
    const { modelName: name } = version;
    try {
      const { artifact, estimator } = await readArtifact(version.artifactPath, version.artifactSha256);
      const definition = this.data.definition(name);
      const spec = definition.pipeline.spec;
      const features = spec.features.map((f) => f.name);
      if (artifact.features.join(',') !== features.join(',')) {
        throw new Error(
          `its features (${artifact.features.length}) differ from the current feature spec (${features.length})`,
        );
      }
      const model = new ServedModel(
        name,
        version.version,
        version.runId,
        version.candidate,
        spec,
        definition.pipeline,
        artifact.preprocessing,
        estimator,
        new Date(),
      );
      for (let i = 0; i < 3; i++) model.predict([spec.example]);
      return model;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`Refused to load ${name} version ${version.version}: ${message}`);
      throw new ArtifactLoadError(`Model ${name} version ${version.version} cannot be loaded: ${message}`);
    }
  }

  /** Serves a loaded version from the next request on. */
  activate(model: ServedModel): void {
    const previous = this.served.get(model.name);
    this.served.set(model.name, model);
    this.logger.log(`Serving ${model.name} version ${model.version}${previous ? ` (was ${previous.version})` : ''}`);
  }
}
