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
  | { type: 'job'; model: string };

/** Local (EventEmitter2) event names under which received messages are delivered in each process. */
export const CLUSTER_EVENT = {
  alias: 'cluster.alias',
  definition: 'cluster.definition',
  job: 'cluster.job',
  /** The notification connection was (re)established: anything may have been missed, so sync everything. */
  resync: 'cluster.resync',
} as const;

/** A received message, as delivered locally. */
export class ClusterEvent {
  constructor(
    readonly model: string,
    /** The process that sent it. */
    readonly origin: string,
  ) {}
}
