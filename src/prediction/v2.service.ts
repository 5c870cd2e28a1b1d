import { Injectable } from '@nestjs/common';
import { APP_VERSION } from '../common/app-version';
import { ModelCatalog } from '../definitions/model-catalog.service';
import { ActiveModels } from '../registry/active-models.service';
import { ModelNotReadyError, ModelVersionNotFoundError } from '../registry/registry.errors';
import { RegistryService } from '../registry/registry.service';
import { ServedModel } from '../registry/served-model';
import { TrafficRouter } from '../registry/traffic/traffic-router.service';
import type { PredictionCall } from './prediction-call.decorator';
import { InputValidators } from './model-input.validator';
import { ReadinessService } from '../health/readiness.service';
import { PayloadFormatError, ServerNotReadyError } from './prediction.errors';
import { PredictionService } from './prediction.service';
import type { ClassPrediction } from './prediction-rows.util';
import { V2Tensor, v2InputMetadata, v2Rows } from './v2-tensors.util';

export interface V2InferenceResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: V2Tensor[];
  /** With `parameters.explain` (or `?explain=true`): each row's explanation. */
  parameters?: { explanations: object[] };
}

/** Loaded versions other than the served one, kept for version-addressed requests (oldest dropped first). */
const VERSION_CACHE_SIZE = 4;

/** The Open Inference Protocol (KServe V2, also spoken by MLServer and Triton) over the registry's models. */
@Injectable()
export class V2Service {
  private readonly versions = new Map<string, ServedModel>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly registry: RegistryService,
    private readonly validators: InputValidators,
    private readonly active: ActiveModels,
    private readonly predictions: PredictionService,
    private readonly readiness: ReadinessService,
    private readonly router: TrafficRouter,
  ) {}

  server(): { name: string; version: string; extensions: string[] } {
    return { name: 'nest-mlops', version: APP_VERSION, extensions: [] };
  }

  /**
   * The registered version a path's version name stands for: its number. A name that is no version number of a
   * model the service knows is ModelVersionNotFoundError (404), like a number the model has no version for.
   */
  versionNamed(name: string, version: string): number {
    this.registry.requireModel(name);
    if (!/^[1-9][0-9]{0,8}$/.test(version)) throw new ModelVersionNotFoundError(name, version);
    return Number(version);
  }

  /** Ready exactly when /health/ready is (database, every model served, disk); 503 naming the failing checks. */
  async ready(): Promise<{ ready: true }> {
    const problems = await this.readiness.problems();
    if (problems.length > 0) throw new ServerNotReadyError(`Not ready: ${problems.join('; ')}`);
    return { ready: true };
  }

  /**
   * The model's inputs and outputs, from the served (or addressed) version's definition and fitted values; from
   * the definition alone while no version is served.
   */
  async metadata(name: string, version?: number): Promise<object> {
    const definition = this.catalog.require(name);
    const served = version === undefined ? this.active.get(name) : await this.model(name, version);
    const classes = served?.spec.classes ?? definition.target.classes;
    return {
      name,
      versions: served ? [String(served.version)] : [],
      platform: 'nest-mlops',
      inputs: v2InputMetadata(served?.definition ?? definition),
      outputs:
        definition.task === 'regression'
          ? [{ name: 'predictions', datatype: 'FP64', shape: [-1] }]
          : [
              { name: 'predictions', datatype: 'BYTES', shape: [-1] },
              { name: 'probabilities', datatype: 'FP64', shape: [-1, classes?.length ?? -1] },
            ],
    };
  }

  /** 200 when the model (or the given registered version) can answer; 503 while the model is not served. */
  async modelReady(name: string, version?: number): Promise<{ name: string; ready: true }> {
    this.registry.requireModel(name);
    if (version !== undefined) await this.registry.version(name, version);
    else if (!this.active.get(name)) throw new ModelNotReadyError(name);
    return { name, ready: true };
  }

  /** Inference with the route the traffic policy picks, or with a given version (no policy applies). */
  async infer(name: string, body: unknown, call: PredictionCall, version?: number): Promise<V2InferenceResponse> {
    this.registry.requireModel(name);
    const route = version === undefined ? this.router.route(name, call.headers) : await this.model(name, version);
    const served = route instanceof ServedModel ? route : route.served;
    const request = (body ?? {}) as { id?: unknown; inputs?: unknown; outputs?: unknown; parameters?: unknown };
    if (request.id !== undefined && typeof request.id !== 'string')
      throw new PayloadFormatError('"id" must be a string');
    const explain = explainParameter(request.parameters);
    if (explain) call = { ...call, explain };
    const rows = v2Rows(request.inputs, served.spec);
    this.predictions.checkBatchSize(rows.length);
    const valid = this.validators.for(served).validate(rows, (i) => `inputs[${i}]`);
    const result = this.predictions.predict(name, valid, call, route);
    const n = rows.length;
    const outputs: V2Tensor[] = [];
    if (served.spec.task === 'regression') {
      outputs.push({ name: 'predictions', shape: [n], datatype: 'FP64', data: result.raw });
    } else {
      const classes = served.spec.classes ?? [];
      const probabilities = result.rows.flatMap((r) => classes.map((c) => (r as ClassPrediction).probabilities[c]));
      outputs.push({ name: 'predictions', shape: [n], datatype: 'BYTES', data: result.raw });
      outputs.push({ name: 'probabilities', shape: [n, classes.length], datatype: 'FP64', data: probabilities });
    }
    return {
      model_name: name,
      model_version: String(result.served.version),
      id: typeof request.id === 'string' ? request.id : call.requestId,
      ...(result.explanations ? { parameters: { explanations: result.explanations } } : {}),
      outputs: this.selectOutputs(outputs, request.outputs),
    };
  }

  private selectOutputs(outputs: V2Tensor[], requested: unknown): V2Tensor[] {
    if (requested === undefined) return outputs;
    if (!Array.isArray(requested)) throw new PayloadFormatError('"outputs" must be a list of {name}');
    const names = requested.map((o: unknown) => (o as { name?: unknown } | null)?.name);
    const unknown = names.filter((n) => typeof n !== 'string' || !outputs.some((o) => o.name === n));
    if (unknown.length > 0) {
      throw new PayloadFormatError(
        `Unknown output(s) ${unknown.map(String).join(', ')}; available: ${outputs.map((o) => o.name).join(', ')}`,
      );
    }
    return outputs.filter((o) => names.includes(o.name));
  }

  /**
   * The served version, or a registered version loaded on demand and kept loaded while its artifact is: retention
   * (here or in another replica) may prune it after it was loaded, and a pruned version answers 410 as when loading.
   */
  private async model(name: string, version?: number): Promise<ServedModel> {
    const served = this.active.get(name);
    if (version === undefined || served?.version === version) {
      if (!served) throw new ModelNotReadyError(name);
      return served;
    }
    const key = `${name}@${version}`;
    const cached = this.versions.get(key);
    if (cached) {
      try {
        await this.active.requireKept(name, version, cached.runId);
      } catch (error) {
        this.versions.delete(key);
        throw error;
      }
      return cached;
    }
    const loaded = await this.active.load(await this.registry.version(name, version));
    this.versions.set(key, loaded);
    if (this.versions.size > VERSION_CACHE_SIZE) this.versions.delete(this.versions.keys().next().value as string);
    return loaded;
  }
}

/** The request's `parameters.explain` (Open Inference request parameters): a boolean, false when absent. */
function explainParameter(parameters: unknown): boolean {
  if (parameters === undefined) return false;
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw new PayloadFormatError('"parameters" must be an object');
  }
  const explain = (parameters as { explain?: unknown }).explain;
  if (explain !== undefined && typeof explain !== 'boolean') {
    throw new PayloadFormatError('"parameters.explain" must be a boolean');
  }
  return explain === true;
}
