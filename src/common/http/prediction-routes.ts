const PREDICTION_ROUTE = /^\/(predict|batch_predict|invocations)(\/|$)|\/predict$|\/infer$/;

/** Answers per route pattern: the patterns are the application's routes (raw URLs are never looked up). */
const answers = new Map<string, boolean>();

/**
 * Route patterns that serve predictions: the rate limit applies to them, and their requests feed
 * `GET /monitoring/summary`. Asked on every request, so each pattern is matched once.
 */
export function isPredictionRoute(route: string): boolean {
  let answer = answers.get(route);
  if (answer === undefined) answers.set(route, (answer = PREDICTION_ROUTE.test(route)));
  return answer;
}
