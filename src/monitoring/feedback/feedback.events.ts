/** Ground truth was stored for `rows` predicted rows of `model` (live performance refreshes its figures). */
export class FeedbackAcceptedEvent {
  constructor(
    readonly model: string,
    readonly rows: number,
  ) {}
}

declare module '../../common/events/domain-events' {
  interface DomainEventMap {
    'feedback.accepted': FeedbackAcceptedEvent;
  }
}
