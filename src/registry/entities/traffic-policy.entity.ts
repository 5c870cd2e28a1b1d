import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * How a model's requests are spread over its versions:
 * - `champion`: the champion answers every request (the default, also when a model has no row here);
 * - `canary` / `ab`: a weighted split between two or more versions (canary: a small share to a new version; ab:
 *   an experiment), sticky per key when the client sends the configured header;
 * - `shadow`: the champion answers, the `shadow` versions also score the same rows off the request path.
 */
export const TRAFFIC_MODES = ['champion', 'canary', 'ab', 'shadow'] as const;
export type TrafficMode = (typeof TRAFFIC_MODES)[number];

/** One arm of a split: a version and its weight (relative; the weights need not sum to 100). */
export interface TrafficArm {
  version: number;
  weight: number;
}

/** The traffic policy in force for a model. Every change also appends a TrafficEventEntity (the audit trail). */
@Entity({ name: 'traffic_policies' })
export class TrafficPolicyEntity {
  @PrimaryColumn({ name: 'model_name', type: 'varchar', length: 64 })
  modelName!: string;

  /** The id of the traffic event that set this policy: it names the experiment in the prediction log. */
  @Column({ name: 'policy_id', type: 'integer' })
  policyId!: number;

  @Column({ type: 'varchar', length: 16 })
  mode!: TrafficMode;

  /** `canary` / `ab`: the arms; otherwise empty (the champion answers). */
  @Column({ type: 'json' })
  arms!: TrafficArm[];

  /** `shadow`: the versions that also score every request's rows; otherwise empty. */
  @Column({ type: 'json' })
  shadow!: number[];

  /** The request header whose value keeps a client on one arm (e.g. `x-user-id`); null: random per request. */
  @Column({ name: 'sticky_header', type: 'varchar', length: 64, nullable: true })
  stickyHeader!: string | null;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}
