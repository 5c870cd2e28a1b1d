import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The ground truth of one predicted row, sent later by the client (`POST /feedback`): the true value (regression)
 * or label (classification) of row `rowIndex` of the logged request `logId`. One row per (logged request, row): the
 * same feedback twice is stored once. It is keyed on the log entry rather than on the request id, which clients
 * may choose (`x-request-id`) and reuse: two requests with one request id are two predictions, each with its truth.
 */
@Entity({ name: 'feedback' })
@Index('UQ_feedback_log_row', ['logId', 'rowIndex'], { unique: true })
@Index('IDX_feedback_request', ['requestId'])
export class FeedbackEntity {
  @PrimaryGeneratedColumn()
  id!: number;

  /** The primary (answered, not shadow) prediction-log entry (`predictions.id`) the truth belongs to. */
  @Column({ name: 'log_id', type: 'bigint' })
  logId!: number;

  /** The request id of that entry, for lookups (not unique: a client may reuse it). */
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId!: string;

  @Column({ name: 'row_index', type: 'integer' })
  rowIndex!: number;

  @Column({ name: 'actual_value', type: 'double precision', nullable: true })
  actualValue!: number | null;

  @Column({ name: 'actual_label', type: 'varchar', length: 256, nullable: true })
  actualLabel!: string | null;

  @CreateDateColumn({ name: 'received_at' })
  receivedAt!: Date;
}
