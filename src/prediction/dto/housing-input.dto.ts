import { HOUSING_SPEC } from '../../data/housing/housing.feature-spec';
import type { HousingInput } from '../../data/housing/housing.feature-spec';
import { Prechecked } from '../../common/http/validation.pipe';
import { compileRowCheck } from '../row-check.util';
import { SpecField } from './spec-field.decorator';

export const HOUSING_ROW_CHECK = compileRowCheck(HOUSING_SPEC);

/** One California block group, with the raw CSV's field names. */
@Prechecked(HOUSING_ROW_CHECK)
export class HousingInputDto implements HousingInput {
  @SpecField(HOUSING_SPEC, 'longitude')
  longitude!: number;

  @SpecField(HOUSING_SPEC, 'latitude')
  latitude!: number;

  @SpecField(HOUSING_SPEC, 'housing_median_age')
  housing_median_age!: number;

  @SpecField(HOUSING_SPEC, 'total_rooms')
  total_rooms!: number;

  @SpecField(HOUSING_SPEC, 'total_bedrooms')
  total_bedrooms!: number | null;

  @SpecField(HOUSING_SPEC, 'population')
  population!: number;

  @SpecField(HOUSING_SPEC, 'households')
  households!: number;

  @SpecField(HOUSING_SPEC, 'median_income')
  median_income!: number;

  @SpecField(HOUSING_SPEC, 'ocean_proximity')
  ocean_proximity!: HousingInput['ocean_proximity'];
}
