import { Injectable, Logger } from '@nestjs/common';
import { decode as decodeUbjson } from '@shelacek/ubjson';
import { sha256 } from '../../common/crypto/sha256.util';
import { FieldProblem } from '../../common/errors/domain.error';
import { RequestValidationError } from '../../common/errors/request-validation.error';
import { DataService } from '../../data/data.service';
import type { ModelDefinition } from '../../definitions/model-definition';
import { BoostedTreesModel, BoostedTreesParts } from '../../ml/boosted-trees.model';
import { ModelFormatError } from '../../ml/model-format.error';
import { UnsupportedModelError } from '../../ml/unsupported-model.error';
import { XgboostJsonModel } from '../../ml/xgboost-json.reader';
import { ImportedRunService } from '../../training/imported-run.service';
import { ImportFormat, ImportLineageDto, ImportModelDto, ImportResultDto } from '../dto/model-import.dto';
import { ModelVersionDto } from '../dto/model.dto';
import { ModelImportInvalidError, ModelImportRefusedError, PromotionRefusedError } from '../registry.errors';
import { RegistryService } from '../registry.service';
import { xgboostFeatureName } from './xgboost-names.util';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Brings a model trained elsewhere (XGBoost, saved as JSON or UBJSON) into the registry: checks the file, maps its
 * features onto the model's own (pipeline features, or numeric input fields passed through as they are), converts
 * its trees to the service's representation, and records it as a run scored on the model's holdout, then as a
 * version with its lineage. From there it is a version like any other: gate, aliases, hot swap, drift, monitoring.
 */
@Injectable()
export class ModelImportService {
  private readonly logger = new Logger(ModelImportService.name);

  constructor(
    private readonly data: DataService,
    private readonly registry: RegistryService,
    private readonly importedRuns: ImportedRunService,
  ) {}

  async import(name: string, body: ImportModelDto): Promise<ImportResultDto> {
    this.registry.requireModel(name);
    const { document, digest, of } = readDocument(body.format, body.model);
    const file = checked(() => new XgboostJsonModel(document));
    const definition = this.data.dataset(name).definition;
    if (file.task !== definition.task) {
      throw new ModelImportRefusedError(
        `The file is a ${file.task} model (${file.objective}) and ${name} is a ${definition.task} model`,
      );
    }
    const names = featureNames(body.features, file);
    const base = await this.data.prepare(name);
    const own = base.pipeline.spec.features.map((f) => f.name);
    const resolved = resolveFeatures(names, own, definition);
    const version = passThrough(
      definition,
      resolved.filter((n) => !own.includes(n)),
    );
    const prepared = version === definition ? base : await this.data.prepare(name, {}, version);
    const columns = prepared.pipeline.spec.features.map((f) => f.name);
    const index = Int32Array.from(resolved, (n) => columns.indexOf(n));
    const mapping = { names: resolved, index, nFeatures: columns.length };
    let parts = checked(() => file.toBoostedTrees(mapping));
    const classes = prepared.pipeline.spec.classes;
    if (classes) parts = inClassOrder(parts, body.classes ?? [...classes], classes, name);
    const estimator = checked(() => new BoostedTreesModel(parts));
    const lineage: ImportLineageDto = {
      source: 'import',
      format: body.format,
      sha256: digest,
      sha256Of: of,
      xgboostVersion: file.version.join('.'),
      objective: file.objective,
      trees: parts.trees.length,
      features: resolved,
    };
    const run = await this.importedRuns.record({
      candidate: 'xgboost',
      params: { ...lineage, ...(classes ? { classes: body.classes ?? [...classes] } : {}) },
      estimator,
      prepared,
    });
    const registered = await this.registry.register(name, run.id, version);
    this.logger.log(`Imported ${body.format} ${digest.slice(0, 12)} as ${name} version ${registered.version}`);
    const result: ImportResultDto = { version: ModelVersionDto.from(registered, [], run), lineage };
    if (body.promote) result.promotion = await this.promote(name, registered.version, body.reason);
    return result;
  }

  private async promote(name: string, version: number, reason?: string): Promise<ImportResultDto['promotion']> {
    try {
      const move = await this.registry.promote(name, version, { actor: 'api', reason: reason ?? 'import' });
      return { promoted: true, reason: move.event.reason };
    } catch (error) {
      if (error instanceof PromotionRefusedError) return { promoted: false, reason: error.message };
      throw error;
    }
  }
}

/** The model document and the sha256 that names it: of the file's bytes when they came in base64. */
function readDocument(
  format: ImportFormat,
  model: Record<string, unknown> | string,
): { document: unknown; digest: string; of: 'file' | 'document' } {
  if (typeof model !== 'string') {
    if (format === 'xgboost-ubj') {
      throw invalid('model', 'base64', 'an xgboost-ubj model is sent as the base64 of the file');
    }
    try {
      return { document: model, digest: sha256(Buffer.from(JSON.stringify(model))), of: 'document' };
    } catch (error) {
      // A document nested deeper than the stack can write out is no XGBoost model (theirs are 7 levels deep).
      if (error instanceof RangeError) throw invalid('model', 'maxDepth', 'model is nested too deeply');
      throw error;
    }
  }
  const text = model.replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw invalid('model', 'base64', 'model must be base64 text');
  const bytes = Buffer.from(text, 'base64');
  try {
    const document =
      format === 'xgboost-json'
        ? (JSON.parse(bytes.toString('utf8')) as unknown)
        : (decodeUbjson(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), {
            int64Handling: ({ view }: { view: DataView }, offset: number) => Number(view.getBigInt64(offset)),
          }) as unknown);
    return { document, digest: sha256(bytes), of: 'file' };
  } catch (error) {
    const rule = format === 'xgboost-json' ? 'json' : 'ubjson';
    throw invalid('model', rule, `model is not a ${format} file (${(error as Error).message.slice(0, 200)})`);
  }
}

/** Runs a step of reading the file, answering a malformed one with 400 and an unsupported one with 422. */
function checked<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof UnsupportedModelError) throw new ModelImportRefusedError(error.message);
    if (error instanceof ModelFormatError) {
      const field = /^model[^\s:]*/.exec(error.message)?.[0] ?? 'model';
      throw invalid(field.replace(/ must$/, ''), 'xgboostFormat', error.message);
    }
    throw error;
  }
}

function invalid(field: string, rule: string, message: string): ModelImportInvalidError {
  const problem: FieldProblem = { field, rule, message };
  return new ModelImportInvalidError(`The model file was refused: ${message}`, [problem]);
}

/** The request's features, else the file's names; one per feature of the file, no name twice. */
function featureNames(requested: string[] | undefined, file: XgboostJsonModel): string[] {
  const names = requested ?? file.featureNames;
  if (!names) {
    throw new RequestValidationError([
      { field: 'features', rule: 'required', message: 'the file has no feature_names: list its features' },
    ]);
  }
  if (names.length !== file.nFeatures) {
    throw new RequestValidationError([
      {
        field: 'features',
        rule: 'length',
        message: `features must name the file's ${file.nFeatures} features (num_feature), got ${names.length}`,
      },
    ]);
  }
  return names;
}

/**
 * Each name as a feature of the model's pipeline (exactly, or as an exported file writes it) or one of its numeric
 * input fields; a name that is neither, or a feature named twice, is a 400 naming its place.
 */
function resolveFeatures(names: readonly string[], own: readonly string[], definition: ModelDefinition): string[] {
  const inputs = definition.features.filter((f) => f.type !== 'category').map((f) => f.name);
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const resolved = names.map((name, i) => {
    const found =
      own.find((f) => f === name) ?? own.find((f) => xgboostFeatureName(f) === name) ?? inputs.find((f) => f === name);
    if (found === undefined) {
      problems.push({
        field: `features[${i}]`,
        rule: 'known',
        message:
          `features[${i}] is neither a feature of ${definition.name} (${own.join(', ').slice(0, 600)}) nor one of ` +
          `its numeric input fields (${inputs.join(', ').slice(0, 400)})`,
      });
    } else if (seen.has(found)) {
      problems.push({ field: `features[${i}]`, rule: 'unique', message: `features[${i}] names ${found} again` });
    }
    if (found) seen.add(found);
    return found ?? name;
  });
  if (problems.length > 0) throw new RequestValidationError(problems);
  return resolved;
}

/**
 * The definition of the imported version: the model's own, plus a column for each input field the file reads as it
 * is. A missing optional value reaches the trees as missing (XGBoost's default direction), as in XGBoost.
 */
function passThrough(definition: ModelDefinition, fields: readonly string[]): ModelDefinition {
  if (fields.length === 0) return definition;
  const columns = fields.map((field) => ({ op: 'input' as const, field, name: field }));
  return { ...definition, columns: [...definition.columns, ...columns] };
}

/**
 * The trees with XGBoost's class k moved to the model's class `order[k]`. A binary model's margin is the log-odds
 * of `order[1]`: when that is the model's first class, the trees and base are negated.
 */
function inClassOrder(
  parts: BoostedTreesParts,
  order: readonly string[],
  classes: readonly string[],
  name: string,
): BoostedTreesParts {
  if (parts.nClasses !== classes.length) {
    throw new ModelImportRefusedError(
      `The file has ${parts.nClasses} classes and ${name} has ${classes.length} (${classes.join(', ')})`,
    );
  }
  const sorted = [...order].sort();
  if (order.length !== classes.length || [...classes].sort().some((c, i) => c !== sorted[i])) {
    throw new RequestValidationError([
      { field: 'classes', rule: 'permutation', message: `classes must list ${classes.join(', ')} in XGBoost's order` },
    ]);
  }
  if (parts.link !== 'softmax') {
    if (order[1] === classes[1]) return parts;
    const trees = parts.trees.map((tree) => ({ ...tree, value: tree.value.map((v) => -v) }));
    return { ...parts, trees, baseMargin: parts.baseMargin.map((m) => -m) };
  }
  return { ...parts, treeGroup: parts.treeGroup.map((g) => classes.indexOf(order[g])) };
}
