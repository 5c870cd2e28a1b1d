import { DomainError } from '../../common/errors/domain.error';

/**
 * A model definition the feature pipeline cannot compile or fit (a column reads an unknown field or a field of the
 * wrong type, a statistic has no training value to be computed from), or preprocessing that does not belong to it.
 * The definition parser refuses most of these first; this names the model and the problem when one gets through.
 */
export class PipelineDefinitionError extends DomainError {
  readonly code = 'DATA.PIPELINE_DEFINITION';
  readonly kind = 'unprocessable';

  constructor(
    readonly model: string,
    reason: string,
  ) {
    super(`${model}: ${reason}`);
  }
}
