import { IRIS_SPEC, IrisInput } from '../../data/iris/iris.data';
import { SpecField } from './spec-field.decorator';

/** One iris flower's measurements in cm. */
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
