import { DomainError } from '../common/errors/domain.error';

/** The served version's training profile is not stored (e.g. it was trained on a split file): 409. */
export class DriftReferenceMissingError extends DomainError {
  readonly code = 'MONITORING.NO_DRIFT_REFERENCE';
  readonly kind = 'conflict';

  constructor(model: string, version: number, split: string) {
    super(
      `Model ${model} version ${version} has no stored training profile to compare with (trained on split ${split}); ` +
        'drift is judged for versions trained on a stored seeded split',
    );
  }
}
