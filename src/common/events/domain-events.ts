import { Global, Injectable, Module } from '@nestjs/common';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';

/**
 * The domain events by name, with the payload each carries. The map starts empty here, in the lowest layer; the
 * module that owns an event declares it beside its payload class by module augmentation:
 *
 * ```ts
 * declare module '../common/events/domain-events' {
 *   interface DomainEventMap { 'definition.retired': DefinitionRetiredEvent }
 * }
 * ```
 *
 * so a module can announce what happened without knowing who reacts, and a handler is type-checked against the
 * payload of the name it listens to, without either module importing the other.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DomainEventMap {}

export type DomainEventName = keyof DomainEventMap;

/** Emits domain events in this process (handlers run synchronously up to their first `await`). */
@Injectable()
export class DomainEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends DomainEventName>(name: K, event: DomainEventMap[K]): void {
    this.emitter.emit(name, event);
  }
}

/**
 * Runs the decorated method for each `name` event; the method must accept that event's payload. Errors of a
 * handler are logged by @nestjs/event-emitter and never reach the emitter.
 */
export function OnDomainEvent<K extends DomainEventName>(name: K) {
  return <M extends (event: DomainEventMap[K]) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    OnEvent(name)(target, key, descriptor);
  };
}

/** The event emitter and DomainEvents for every module (global: emitting or handling needs no module import). */
@Global()
@Module({
  imports: [EventEmitterModule.forRoot()],
  providers: [DomainEvents],
  exports: [DomainEvents],
})
export class DomainEventsModule {}
