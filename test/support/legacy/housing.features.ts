/**
 * Frozen copy of the hand-written code this model had before models were definitions. Specs compare the
 * definition-driven loader and pipeline with it, row for row and bit for bit; nothing in src/ uses it.
 */
import type { FeaturePipeline, Preprocessing } from '../../../src/data/feature-spec';
import { CITIES, HOUSING_SPEC, HousingInput, OCEAN_PROXIMITY, ROTATIONS_DEG } from './housing.feature-spec';

const OCEAN_INDEX = new Map<string, number>(OCEAN_PROXIMITY.map((value, i) => [value, i]));
const NUMERIC_FEATURES = HOUSING_SPEC.features.filter((f) => f.kind === 'numeric').length;
const EARTH_RADIUS_KM = 6371;
const RADIANS = Math.PI / 180;
const ROTATIONS = ROTATIONS_DEG.map((deg) => ({ cos: Math.cos(deg * RADIANS), sin: Math.sin(deg * RADIANS) }));

/** Great-circle (haversine) distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RADIANS;
  const dLon = (lon2 - lon1) * RADIANS;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RADIANS) * Math.cos(lat2 * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(a));
}

/** Median of the non-missing values (average of the middle two for an even count), as scikit-learn imputes. */
export function median(values: Float64Array): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * California Housing features as scikit-learn derives them (MedInc, HouseAge, AveRooms, AveBedrms, Population,
 * AveOccup, Latitude, Longitude), distances to five large cities, coordinates rotated by 15–60°, and
 * ocean_proximity one-hot. A missing total_bedrooms is imputed as households × the training median of bedrooms per
 * household (scikit-learn's median imputation of AveBedrms): imputing the raw count instead ignores the size of the
 * block group and costs the linear baseline 0.11 RMSE on scikit-learn's split. Training and serving both call this.
 */
export const housingPipeline: FeaturePipeline<HousingInput> = {
  spec: HOUSING_SPEC,

  fit(train: readonly HousingInput[]): Preprocessing {
    const perHousehold = train
      .filter((r) => r.total_bedrooms !== null)
      .map((r) => (r.total_bedrooms ?? 0) / r.households);
    return { bedrooms_per_household_median: median(Float64Array.from(perHousehold)) };
  },

  transformInto(input: HousingInput, prep: Preprocessing, out: Float64Array, offset: number): void {
    out[offset] = input.median_income;
    out[offset + 1] = input.housing_median_age;
    out[offset + 2] = input.total_rooms / input.households;
    // A request may leave total_bedrooms out (undefined) as well as send null.
    const bedrooms = input.total_bedrooms;
    out[offset + 3] =
      typeof bedrooms === 'number' ? bedrooms / input.households : (prep.bedrooms_per_household_median as number);
    out[offset + 4] = input.population;
    out[offset + 5] = input.population / input.households;
    out[offset + 6] = input.latitude;
    out[offset + 7] = input.longitude;
    let at = offset + 8;
    for (const city of CITIES) {
      out[at++] = haversineKm(input.latitude, input.longitude, city.latitude, city.longitude);
    }
    for (const { cos, sin } of ROTATIONS) out[at++] = input.longitude * cos + input.latitude * sin;
    const ocean = offset + NUMERIC_FEATURES;
    for (let i = 0; i < OCEAN_PROXIMITY.length; i++) out[ocean + i] = 0;
    out[ocean + (OCEAN_INDEX.get(input.ocean_proximity) ?? 0)] = 1;
  },
};
