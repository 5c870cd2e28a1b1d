/**
 * A feature name as XGBoost accepts it: its Python package refuses names with `[`, `]` or `<` (a one-hot column of
 * `<1H OCEAN`). Exported files use these names; imports accept them back.
 */
export function xgboostFeatureName(name: string): string {
  return name.replace(/</g, 'lt').replace(/\[/g, '(').replace(/]/g, ')');
}
