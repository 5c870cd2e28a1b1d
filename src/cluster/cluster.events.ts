/**
 * What one process tells the others through the shared database (PostgreSQL NOTIFY on CLUSTER_CHANNEL). A message
 * says only what changed; the receiver reads the state itself, so a lost or reordered message costs at most a
 * delay until the periodic sync.
 */
export const CLUSTER_CHANNEL = 'nest_mlops_cluster';

export type ClusterMessage =
  /** An alias of a model moved (promotion, rollback, retirement): replicas serve the new champion. */
  | { type: 'alias'; model: string }
  /** A model's definition was set or retired through the admin API: replicas reload it. */
  | { type: 'definition'; model: string }
  /** A retraining job was queued: workers look for work. */
  | { type: 'job'; model: string }
  /** A model's traffic policy changed: replicas load its versions and route by it. */
  | { type: 'traffic'; model: string };

/**
 * Domain events under which received messages are delivered in each process: `cluster.<type>` for each message
 * type, and `cluster.resync` when the notification connection was re-established (anything may have been missed,
 * so sync everything).
 */
declare module '../common/events/domain-events' {
  interface DomainEventMap {
    'cluster.alias': ClusterEvent;
    'cluster.definition': ClusterEvent;
    'cluster.job': ClusterEvent;
    'cluster.traffic': ClusterEvent;
    'cluster.resync': ClusterEvent;
  }
}

/** A received message, as delivered locally. */
export class ClusterEvent {
  constructor(
    readonly model: string,
    /** The process that sent it. */
    readonly origin: string,
  ) {}
}
