/**
 * Route patterns that serve predictions: the rate limit applies to them, and their requests feed
 * `GET /monitoring/summary`.
 */
export function isPredictionRoute(route: string): boolean {
  return /^\/(predict|batch_predict|invocations)(\/|$)|\/predict$|\/infer$/.test(route);
}
