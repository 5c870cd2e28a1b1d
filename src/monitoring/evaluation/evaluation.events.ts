/**
 * The online evaluation found a champion's live error above its holdout error by the model's margin
 * (`evaluation.degradation`) and decided to retrain it (the performance retraining trigger). `decisionId` is the
 * audited decision: one retraining per decision, whichever process handles it.
 */
export class PerformanceDegradedEvent {
  constructor(
    readonly model: string,
    readonly version: number,
    readonly decisionId: number,
    readonly reason: string,
    readonly evidence: Record<string, unknown>,
  ) {}
}

declare module '../../common/events/domain-events' {
  interface DomainEventMap {
    'performance.degraded': PerformanceDegradedEvent;
  }
}
