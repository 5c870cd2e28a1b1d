import { HOUSING_SPEC } from '../../data/housing/housing.feature-spec';
import type { HousingInput } from '../../data/housing/housing.feature-spec';
import { IsNotGreaterThanProperty, SpecField } from './spec-field.decorator';

/** One California block group, with the raw CSV's field names. */
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
  @IsNotGreaterThanProperty('total_rooms')
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
