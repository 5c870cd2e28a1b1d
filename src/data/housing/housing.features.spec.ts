import { transformAll } from '../feature-spec';
import { HOUSING_SPEC, HousingInput } from './housing.feature-spec';
import { haversineKm, housingPipeline, median } from './housing.features';

// The spec's example row: -122.23, 37.88, 41 years, 880 rooms, 129 bedrooms, 322 people, 126 households, 8.3252, NEAR BAY.
const base = { ...HOUSING_SPEC.example } as unknown as HousingInput;

describe('housingPipeline', () => {
  it('derives the scikit-learn features, city distances, rotated coordinates and the ocean_proximity one-hot', () => {
    const x = transformAll(housingPipeline, [base], { bedrooms_per_household_median: 1 });
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
      // Distances computed independently (Python's math, haversine, R = 6371 km).
      km_to_los_angeles: expect.closeTo(556.53, 2),
      km_to_san_francisco: expect.closeTo(20.33, 2),
      km_to_san_diego: expect.closeTo(735.5, 2),
      km_to_san_jose: expect.closeTo(67.42, 2),
      km_to_sacramento: expect.closeTo(101.07, 2),
      rot15: -122.23 * Math.cos(Math.PI / 12) + 37.88 * Math.sin(Math.PI / 12),
      rot30: expect.closeTo(-122.23 * Math.cos(Math.PI / 6) + 37.88 * 0.5, 12),
      rot45: expect.closeTo((-122.23 + 37.88) * Math.SQRT1_2, 12),
      rot60: expect.closeTo(-122.23 * 0.5 + 37.88 * Math.sin(Math.PI / 3), 12),
      'ocean_proximity=<1H OCEAN': 0,
      'ocean_proximity=INLAND': 0,
      'ocean_proximity=ISLAND': 0,
      'ocean_proximity=NEAR BAY': 1,
      'ocean_proximity=NEAR OCEAN': 0,
    });
  });

  it('imputes a missing total_bedrooms with the median bedrooms per household of the training rows only', () => {
    const train = [
      { ...base, total_bedrooms: 100, households: 100 },
      { ...base, total_bedrooms: 300, households: 100 },
      { ...base, total_bedrooms: 200, households: 100 },
      { ...base, total_bedrooms: 50, households: 10 },
    ];
    const prep = housingPipeline.fit([...train, { ...base, total_bedrooms: null }]);
    expect(prep).toEqual({ bedrooms_per_household_median: 2.5 });
    const x = transformAll(housingPipeline, [{ ...base, total_bedrooms: null }], prep);
    expect(x[3]).toBe(2.5);
  });

  it('measures great-circle distances (Los Angeles to San Francisco is about 559 km)', () => {
    expect(haversineKm(34.0522, -118.2437, 37.7749, -122.4194)).toBeCloseTo(559.1, 0);
    expect(haversineKm(37, -120, 37, -120)).toBe(0);
  });

  it('computes medians of odd and even counts', () => {
    expect(median(Float64Array.from([3, 1, 2]))).toBe(2);
    expect(median(Float64Array.from([4, 1, 3, 2]))).toBe(2.5);
  });
});
