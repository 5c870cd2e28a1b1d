import { omitUndefined } from './definition-document.fields';
import { asNumber, isRecord } from './definition-document.problems';
import { DEGRADATION_ACTIONS } from './definition-document.schema';
import type { EvaluationDefinition, EvaluationSettings, ModelDefinition } from './model-definition';

/** The online evaluation of a definition without an `evaluation` section (and of each key it leaves out). */
export const EVALUATION_DEFAULTS: Readonly<EvaluationSettings> = Object.freeze({
  autoPromote: false,
  confidence: 0.95,
  minSamples: 200,
  maxDays: 14,
  degradation: Object.freeze({ margin: 0.25, minSamples: 200, windowHours: 24, action: 'retrain' as const }),
});

/**
 * `evaluation`: the keys written, camelCased (the schema checked their types and ranges; a definition leaves
 * the defaults out, like its drift thresholds). Undefined when the document has no such section.
 */
export function readEvaluation(raw: unknown): EvaluationDefinition | undefined {
  if (!isRecord(raw)) return undefined;
  const degradation = isRecord(raw.degradation) ? raw.degradation : undefined;
  const action = DEGRADATION_ACTIONS.find((a) => a === degradation?.action);
  return omitUndefined({
    autoPromote: typeof raw.auto_promote === 'boolean' ? raw.auto_promote : undefined,
    confidence: asNumber(raw.confidence),
    minSamples: asNumber(raw.min_samples),
    maxDays: asNumber(raw.max_days),
    degradation:
      degradation &&
      omitUndefined({
        margin: asNumber(degradation.margin),
        minSamples: asNumber(degradation.min_samples),
        windowHours: asNumber(degradation.window_hours),
        action,
      }),
  });
}

/** The evaluation settings of a definition: its own keys over the defaults. */
export function evaluationSettings(definition: Pick<ModelDefinition, 'evaluation'>): EvaluationSettings {
  const own = definition.evaluation ?? {};
  return {
    ...EVALUATION_DEFAULTS,
    ...own,
    degradation: { ...EVALUATION_DEFAULTS.degradation, ...own.degradation },
  };
}
