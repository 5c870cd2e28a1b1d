import type { FieldProblem } from '../../common/errors/domain.error';
import { RequestValidationError } from '../../common/errors/request-validation.error';
import type { TrafficArm } from '../entities/traffic-policy.entity';
import type { NewTrafficPolicy } from './traffic-policy.repository';
import { MAX_POLICY_VERSIONS, SetTrafficPolicyDto } from './dto/traffic.dto';

const VERSION_KEY = /^[1-9][0-9]{0,8}$/;
const MAX_WEIGHT = 1_000_000;

/**
 * The policy a request asks for, checked against the rules of its mode (400 naming each field and rule):
 * - champion: nothing else;
 * - canary / ab: `weights` of 2 to MAX_POLICY_VERSIONS versions, each weight a number > 0 (relative shares);
 *   `stickyHeader` optional;
 * - shadow: `shadow`, 1 to MAX_POLICY_VERSIONS versions.
 */
export function policyOf(modelName: string, body: SetTrafficPolicyDto): NewTrafficPolicy {
  const problems: FieldProblem[] = [];
  const { mode } = body;
  const split = mode === 'canary' || mode === 'ab';
  const arms: TrafficArm[] = [];
  if (split) {
    const entries = Object.entries(body.weights ?? {});
    if (entries.length < 2 || entries.length > MAX_POLICY_VERSIONS) {
      problems.push({
        field: 'weights',
        rule: 'size',
        message: `weights must name 2 to ${MAX_POLICY_VERSIONS} versions in mode ${mode}, as {"<version>": weight}`,
      });
    }
    for (const [key, weight] of entries) {
      if (!VERSION_KEY.test(key)) {
        problems.push({ field: 'weights', rule: 'version', message: 'weights keys must be version numbers (1, 2, …)' });
      } else if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > MAX_WEIGHT) {
        problems.push({
          field: `weights.${key}`,
          rule: 'weight',
          message: `weights.${key} must be a number greater than 0 and at most ${MAX_WEIGHT}`,
        });
      } else {
        arms.push({ version: Number(key), weight });
      }
    }
  } else if (body.weights !== undefined && Object.keys(body.weights).length > 0) {
    problems.push({ field: 'weights', rule: 'mode', message: `weights apply to modes canary and ab, not ${mode}` });
  }
  const shadow = body.shadow ?? [];
  if (mode === 'shadow' && shadow.length === 0) {
    problems.push({ field: 'shadow', rule: 'size', message: 'shadow must name at least one version in mode shadow' });
  } else if (mode !== 'shadow' && shadow.length > 0) {
    problems.push({ field: 'shadow', rule: 'mode', message: `shadow applies to mode shadow, not ${mode}` });
  }
  const stickyHeader = body.stickyHeader ?? null;
  if (stickyHeader !== null && !split) {
    problems.push({
      field: 'stickyHeader',
      rule: 'mode',
      message: `stickyHeader applies to modes canary and ab, not ${mode}`,
    });
  }
  if (problems.length > 0) throw new RequestValidationError(problems);
  arms.sort((a, b) => a.version - b.version);
  return {
    modelName,
    mode,
    arms,
    shadow: [...shadow].sort((a, b) => a - b),
    stickyHeader: stickyHeader?.toLowerCase() ?? null,
  };
}
