import { parseDefinition } from './definition-document';
import { EVALUATION_DEFAULTS, evaluationSettings } from './definition-document.evaluation';

const document = (evaluation?: unknown): Record<string, unknown> => ({
  name: 'diabetes',
  task: 'regression',
  source: { path: 'diabetes.csv' },
  target: 'progression',
  features: [{ name: 'age', type: 'number' }],
  ...(evaluation === undefined ? {} : { evaluation }),
});

describe('definition documents: the evaluation section', () => {
  it('is absent when not written, and the defaults apply', () => {
    const result = parseDefinition(document());
    expect(result.ok && 'evaluation' in result.definition).toBe(false);
    expect(result.ok && evaluationSettings(result.definition)).toEqual(EVALUATION_DEFAULTS);
  });

  it('reads every key, camelCased, and fills in the rest from the defaults', () => {
    const result = parseDefinition(
      document({
        auto_promote: true,
        confidence: 0.99,
        min_samples: 500,
        degradation: { margin: 0.5, action: 'rollback_or_retrain' },
      }),
    );
    expect(result.ok && result.definition.evaluation).toEqual({
      autoPromote: true,
      confidence: 0.99,
      minSamples: 500,
      degradation: { margin: 0.5, action: 'rollback_or_retrain' },
    });
    expect(result.ok && evaluationSettings(result.definition)).toEqual({
      autoPromote: true,
      confidence: 0.99,
      minSamples: 500,
      maxDays: 14,
      degradation: { margin: 0.5, minSamples: 200, windowHours: 24, action: 'rollback_or_retrain' },
    });
  });

  it.each([
    ['a confidence of 1', { confidence: 1 }, 'evaluation.confidence', 'exclusiveMaximum'],
    ['a confidence of one half', { confidence: 0.5 }, 'evaluation.confidence', 'exclusiveMinimum'],
    ['a fractional minimum sample', { min_samples: 20.5 }, 'evaluation.min_samples', 'type'],
    ['a deadline of 0 days', { max_days: 0 }, 'evaluation.max_days', 'exclusiveMinimum'],
    ['auto_promote as a string', { auto_promote: 'yes' }, 'evaluation.auto_promote', 'type'],
    ['an unknown action', { degradation: { action: 'page' } }, 'evaluation.degradation.action', 'enum'],
    ['a negative margin', { degradation: { margin: -0.1 } }, 'evaluation.degradation.margin', 'minimum'],
    ['an unknown key', { degradation: { window: 3 } }, 'evaluation.degradation.window', 'additionalProperties'],
  ])('refuses %s, naming the field', (_, evaluation, field, rule) => {
    const result = parseDefinition(document(evaluation));
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => [p.field, p.rule])).toEqual([[field, rule]]);
    expect(problems[0].message.startsWith(`${field}: `)).toBe(true);
  });

  it('lists the allowed actions in the message', () => {
    const result = parseDefinition(document({ degradation: { action: 'page' } }));
    expect(result.ok ? '' : result.problems[0].message).toBe(
      'evaluation.degradation.action: must be one of retrain, rollback_or_retrain, none',
    );
  });
});
