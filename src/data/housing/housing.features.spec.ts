import { transformAll } from '../feature-spec';
import { HOUSING_SPEC, HousingInput } from './housing.feature-spec';
import { housingPipeline, median } from './housing.features';

const base: HousingInput = {
  longitude: -122.23,
  latitude: 37.88,
  housing_median_age: 41,
  total_rooms: 880,
  total_bedrooms: 129,
  population: 322,
  households: 126,
  median_income: 8.3252,
  ocean_proximity: 'NEAR BAY',
};

describe('housingPipeline', () => {
  it('derives the scikit-learn features and the ocean_proximity one-hot', () => {
    const x = transformAll(housingPipeline, [base], { total_bedrooms_median: 400 });
    const byName = Object.fromEntries(HOUSING_SPEC.features.map((f, i) => [f.name, x[i]]));
    expect(byName).toEqual({
      MedInc: 8.3252,
      HouseAge: 41,
      AveRooms: 880 / 126,
      AveBedrms: 129 / 126,
      Population: 322,
      AveOccup: 322 / 126,
      Latitude: 37.88,
      Longitude: -122.23,
      'ocean_proximity=<1H OCEAN': 0,
      'ocean_proximity=INLAND': 0,
      'ocean_proximity=ISLAND': 0,
      'ocean_proximity=NEAR BAY': 1,
      'ocean_proximity=NEAR OCEAN': 0,
    });
  });

  it('imputes a missing total_bedrooms with the median fitted on the training rows only', () => {
    const train = [100, 200, 300, 1000].map((b) => ({ ...base, total_bedrooms: b }));
    const prep = housingPipeline.fit([...train, { ...base, total_bedrooms: null }]);
    expect(prep).toEqual({ total_bedrooms_median: 250 });
    const x = transformAll(housingPipeline, [{ ...base, total_bedrooms: null }], prep);
    expect(x[3]).toBe(250 / 126);
  });

  it('computes medians of odd and even counts', () => {
    expect(median(Float64Array.from([3, 1, 2]))).toBe(2);
    expect(median(Float64Array.from([4, 1, 3, 2]))).toBe(2.5);
  });
});
