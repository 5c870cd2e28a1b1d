import { Injectable } from '@nestjs/common';
import { BoostedTreesModel } from '../../ml/boosted-trees.model';
import { GradientBoostedTrees } from '../../ml/gbdt.model';
import { ModelFormatError } from '../../ml/model-format.error';
import { RandomForest } from '../../ml/random-forest.model';
import { toXgboostJson, xgboostJsonText } from '../../ml/xgboost-json.writer';
import { ActiveModels } from '../active-models.service';
import { ModelExportUnsupportedError } from '../registry.errors';
import { RegistryService } from '../registry.service';
import { xgboostFeatureName } from './xgboost-names.util';

export interface ExportedModel {
  filename: string;
  /** The file's JSON text. */
  text: string;
}

/**
 * Writes a version's model in another library's format: XGBoost's JSON model file, which `xgboost.Booster(
 * model_file=…)` loads and which predicts what the version predicts on the same feature matrix (the version's
 * features, named as in `feature_names`).
 */
@Injectable()
export class ModelExportService {
  constructor(
    private readonly registry: RegistryService,
    private readonly active: ActiveModels,
  ) {}

  async export(name: string, version: number): Promise<ExportedModel> {
    const found = await this.registry.version(name, version);
    const served = this.active.get(name);
    const model = served?.version === version ? served : await this.active.load(found);
    const estimator = model.estimator;
    if (
      !(estimator instanceof GradientBoostedTrees) &&
      !(estimator instanceof RandomForest) &&
      !(estimator instanceof BoostedTreesModel)
    ) {
      throw new ModelExportUnsupportedError(
        `Version ${version} of ${name} is a ${model.candidate} model: only tree ensembles (gbdt, regression ` +
          'forests, imported XGBoost models) can be written as XGBoost models',
      );
    }
    try {
      const names = model.spec.features.map((f) => f.name);
      const text = xgboostJsonText(toXgboostJson(estimator, names, xgboostFeatureName));
      return { filename: `${name}-v${version}.xgboost.json`, text };
    } catch (error) {
      if (error instanceof ModelFormatError) throw new ModelExportUnsupportedError(error.message);
      throw error;
    }
  }
}
