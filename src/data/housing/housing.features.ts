import type { FeaturePipeline, Preprocessing } from '../feature-spec';
import { HOUSING_SPEC, HousingInput, OCEAN_PROXIMITY } from './housing.feature-spec';

const OCEAN_INDEX = new Map<string, number>(OCEAN_PROXIMITY.map((value, i) => [value, i]));
const NUMERIC_FEATURES = HOUSING_SPEC.features.filter((f) => f.kind === 'numeric').length;

/** Median of the non-missing values (average of the middle two for an even count), as scikit-learn imputes. */
export function median(values: Float64Array): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * California Housing features as scikit-learn derives them (MedInc, HouseAge, AveRooms, AveBedrms, Population,
 * AveOccup, Latitude, Longitude) plus ocean_proximity one-hot; total_bedrooms imputed with the training median.
 */
export const housingPipeline: FeaturePipeline<HousingInput> = {
  spec: HOUSING_SPEC,

  fit(train: readonly HousingInput[]): Preprocessing {
    const bedrooms = train.map((r) => r.total_bedrooms).filter((v): v is number => v !== null);
    return { total_bedrooms_median: median(Float64Array.from(bedrooms)) };
  },

  transformInto(input: HousingInput, prep: Preprocessing, out: Float64Array, offset: number): void {
    const bedrooms = input.total_bedrooms ?? prep.total_bedrooms_median;
    out[offset] = input.median_income;
    out[offset + 1] = input.housing_median_age;
    out[offset + 2] = input.total_rooms / input.households;
    out[offset + 3] = bedrooms / input.households;
    out[offset + 4] = input.population;
    out[offset + 5] = input.population / input.households;
    out[offset + 6] = input.latitude;
    out[offset + 7] = input.longitude;
    const ocean = offset + NUMERIC_FEATURES;
    for (let i = 0; i < OCEAN_PROXIMITY.length; i++) out[ocean + i] = 0;
    out[ocean + (OCEAN_INDEX.get(input.ocean_proximity) ?? 0)] = 1;
  },
};
