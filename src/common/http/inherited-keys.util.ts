import type { FieldProblem } from '../errors/domain.error';

/** Nesting depth the scan follows; deeper bodies are refused as too deep (no DTO here nests more than 3 levels). */
export const MAX_BODY_DEPTH = 32;

/**
 * Problems class-validator does not see in a parsed JSON body: keys named like members of Object.prototype
 * (`constructor`, `hasOwnProperty`, …), which its whitelist mistakes for declared properties, and nesting deeper
 * than MAX_BODY_DEPTH, which would overflow the stack of recursive transformers. Iterative, so any body is safe.
 * `path` names the body itself in the problems (`rows.0` for a row of a batch).
 */
export function inheritedKeyProblems(body: unknown, path = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: body, path, depth: 0 }];
  while (stack.length > 0 && problems.length < 50) {
    const { value, path, depth } = stack.pop() as (typeof stack)[number];
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH) {
      problems.push({
        field: path,
        rule: 'maxDepth',
        message: `${path} is nested deeper than ${MAX_BODY_DEPTH} levels`,
      });
      continue;
    }
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (!Array.isArray(value) && key in Object.prototype) {
        problems.push({ field, rule: 'whitelistValidation', message: `property ${field} should not exist` });
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: field, depth: depth + 1 });
    }
  }
  return problems;
}
