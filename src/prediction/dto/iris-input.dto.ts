import { IRIS_SPEC, IrisInput } from '../../data/iris/iris.data';
import { Prechecked } from '../../common/http/validation.pipe';
import { compileRowCheck } from '../row-check.util';
import { SpecField } from './spec-field.decorator';

export const IRIS_ROW_CHECK = compileRowCheck(IRIS_SPEC);

/** One iris flower's measurements in cm. */
@Prechecked(IRIS_ROW_CHECK)
export class IrisInputDto implements IrisInput {
  @SpecField(IRIS_SPEC, 'sepal_length')
  sepal_length!: number;

  @SpecField(IRIS_SPEC, 'sepal_width')
  sepal_width!: number;

  @SpecField(IRIS_SPEC, 'petal_length')
  petal_length!: number;

  @SpecField(IRIS_SPEC, 'petal_width')
  petal_width!: number;
}
