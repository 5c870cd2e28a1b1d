import { DomainError } from '../common/errors/domain.error';

export class ModelVersionNotFoundError extends DomainError {
  readonly code = 'REGISTRY.VERSION_NOT_FOUND';
  readonly kind = 'not_found';

  constructor(name: string, version: number | string) {
    super(
      `Model ${name} has no version ${typeof version === 'number' ? version : JSON.stringify(version.slice(0, 80))}`,
    );
  }
}

/** A promotion lost the gate (both scores in the message), or a rollback has nowhere to go. */
export class PromotionRefusedError extends DomainError {
  readonly code = 'REGISTRY.PROMOTION_REFUSED';
  readonly kind = 'conflict';
}

export class RunNotRegistrableError extends DomainError {
  readonly code = 'REGISTRY.RUN_NOT_REGISTRABLE';
  readonly kind = 'conflict';
}

/** The model has no served version yet (still training at start, or its artifact failed to load). */
export class ModelNotReadyError extends DomainError {
  readonly code = 'REGISTRY.MODEL_NOT_READY';
  readonly kind = 'unavailable';

  constructor(name: string) {
    super(`Model ${name} is not ready yet: no version is loaded (see /health/ready)`);
  }
}

/** An artifact was refused at load (sha256 mismatch, unreadable or malformed). */
export class ArtifactLoadError extends DomainError {
  readonly code = 'REGISTRY.ARTIFACT_REFUSED';
  readonly kind = 'unprocessable';
  /**
   * True when the artifact itself is bad (altered, malformed, not matching its definition): loading it again will
   * not help. False when reading it failed (the database or the disk), which a later attempt may get past.
   */
  permanent = true;
}

/**
 * A version whose artifact was deleted by artifact retention (its metadata, metrics and lineage stay): it cannot be
 * served, promoted, rolled back to, put in a traffic policy, exported or scored again.
 */
export class ArtifactPrunedError extends DomainError {
  readonly code = 'REGISTRY.ARTIFACT_PRUNED';
  readonly kind = 'gone';

  constructor(name: string, version: number, prunedAt: Date) {
    super(
      `Model ${name} version ${version} cannot be served: its artifact was removed by retention at ` +
        `${new Date(prunedAt).toISOString()} (its record, metrics and lineage stay; see ARTIFACT_RETENTION_* settings)`,
    );
  }
}

/** An alias moved (by another process) between the moment a promotion read it and the moment it wrote it. */
export class AliasMovedError extends DomainError {
  readonly code = 'REGISTRY.ALIAS_MOVED';
  readonly kind = 'conflict';

  constructor(move: { modelName: string; alias: string; fromVersion: number | null }, now: number | null | undefined) {
    super(
      `The ${move.alias} of ${move.modelName} moved while this change was decided (expected ` +
        `${move.fromVersion ?? 'none'}, found ${now === undefined ? 'a concurrent move' : (now ?? 'none')}); ` +
        'read it again and retry',
    );
  }
}

/** An import's model file is malformed: each problem names its JSON path (`model.learner…`). */
export class ModelImportInvalidError extends DomainError {
  readonly code = 'REGISTRY.IMPORT_INVALID';
  readonly kind = 'invalid_input';
}

/**
 * An import's model file is well formed but cannot be served exactly (an unsupported objective, categorical splits,
 * gblinear), or does not fit the model it is imported for (another task, another number of classes).
 */
export class ModelImportRefusedError extends DomainError {
  readonly code = 'REGISTRY.IMPORT_REFUSED';
  readonly kind = 'unprocessable';
}

/** A version whose model cannot be written in the requested format (a linear model as XGBoost trees). */
export class ModelExportUnsupportedError extends DomainError {
  readonly code = 'REGISTRY.EXPORT_UNSUPPORTED';
  readonly kind = 'unprocessable';
}

/** A version whose model has no exact explanation (trees stored without covers, by an earlier release). */
export class NotExplainableError extends DomainError {
  readonly code = 'REGISTRY.NOT_EXPLAINABLE';
  readonly kind = 'unprocessable';
}

/** An explained batch whose estimated cost is over EXPLAIN_BUDGET_MS. */
export class ExplanationTooLargeError extends DomainError {
  readonly code = 'REGISTRY.EXPLANATION_TOO_LARGE';
  readonly kind = 'payload_too_large';
}
