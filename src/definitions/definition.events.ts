import type { ModelDefinition } from './model-definition';

/**
 * Domain events of the definitions catalog. Modules that must react to a new, changed or retired model (serving,
 * retraining, its schedule) listen with `@OnDomainEvent(...)` instead of being called by the catalog.
 */
declare module '../common/events/domain-events' {
  interface DomainEventMap {
    'definition.changed': DefinitionChangedEvent;
    'definition.retired': DefinitionRetiredEvent;
  }
}

/** A definition came into force at run time (admin API): new model, or a changed one. */
export class DefinitionChangedEvent {
  constructor(
    readonly name: string,
    readonly definition: ModelDefinition,
    /** The definition it replaces, when the model existed. */
    readonly previous: ModelDefinition | undefined,
    readonly actor: string,
    /** Set by another replica (this one learned it from the database): its side effects happened there. */
    readonly remote = false,
  ) {}
}

/** A model was retired: it is no longer served; its registry history stays. */
export class DefinitionRetiredEvent {
  constructor(
    readonly name: string,
    readonly actor: string,
    /** Retired by another replica (this one learned it from the database): its side effects happened there. */
    readonly remote = false,
  ) {}
}
