import { sha256 } from '../common/crypto/sha256.util';
import { asRecord, readLiteral } from '../ml/json-reader.util';
import { ModelFormatError } from '../ml/model-format.error';
import type { FeatureSpec, Preprocessing } from '../data/feature-spec';
import type { ModelDefinition } from '../definitions/model-definition';
import type { MlTask } from '../ml/training-data';
import { Estimator, estimatorFromJSON } from './models/estimator';

export const ARTIFACT_KIND = 'nest-mlops.model';

/** Everything needed to serve a trained model: the fitted estimator and how to build its input features. */
export interface ModelArtifact {
  kind: typeof ARTIFACT_KIND;
  formatVersion: 1;
  model: string;
  candidate: string;
  runId: string;
  task: MlTask;
  datasetVersion: string;
  /** Model feature names, in matrix order. */
  features: string[];
  classes?: string[];
  /** Values fitted on the training part (imputation medians, learned categories …) that serving reuses. */
  preprocessing: Preprocessing;
  /**
   * The definition the version was trained with (absent in artifacts written before models were definitions):
   * a served version keeps its own inputs and features when the model's definition changes.
   */
  definition?: ModelDefinition;
  estimator: unknown;
}

/** The envelope of a run's artifact: what serving needs beside the estimator. */
export function artifactEnvelope(
  run: { id: string; modelName: string; candidate: string; datasetVersion: string },
  spec: FeatureSpec,
  preprocessing: Preprocessing,
  definition: ModelDefinition,
): Omit<ModelArtifact, 'estimator'> {
  return {
    kind: ARTIFACT_KIND,
    formatVersion: 1,
    model: run.modelName,
    candidate: run.candidate,
    runId: run.id,
    task: spec.task,
    datasetVersion: run.datasetVersion,
    features: spec.features.map((f) => f.name),
    classes: spec.classes ? [...spec.classes] : undefined,
    preprocessing,
    definition,
  };
}

/**
 * The bytes of an artifact. The estimator comes as the JSON text the training worker produced and is spliced into
 * the envelope unparsed.
 */
export function encodeArtifact(envelope: Omit<ModelArtifact, 'estimator'>, estimatorJson: string): Buffer {
  const head = JSON.stringify({ ...envelope, estimator: null });
  // `{…,"estimator":null}` → `{…,"estimator":<estimatorJson>}`: the key is the envelope's last.
  return Buffer.from(`${head.slice(0, -'null}'.length)}${estimatorJson}}`);
}

/**
 * Reads an artifact's bytes (`where` names them in errors), refusing them when their sha256 differs from the
 * expected one or their JSON is malformed.
 */
export function decodeArtifact(
  data: Buffer,
  expectedSha256: string,
  where: string,
): { artifact: ModelArtifact; estimator: Estimator } {
  const actual = sha256(data);
  if (actual !== expectedSha256) {
    throw new ModelFormatError(`${where}: sha256 ${actual} does not match the registered ${expectedSha256}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new ModelFormatError(`${where}: not valid JSON (${(error as Error).message})`);
  }
  const record = asRecord(json, 'artifact');
  readLiteral(record, 'kind', 'artifact', [ARTIFACT_KIND]);
  readLiteral(record, 'formatVersion', 'artifact', [1]);
  return { artifact: record as unknown as ModelArtifact, estimator: estimatorFromJSON(record.estimator) };
}
