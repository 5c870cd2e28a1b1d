import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The ground truth of one predicted row, sent later by the client (`POST /feedback`): the true value (regression)
 * or label (classification) of row `rowIndex` of request `requestId`. One row per (request, row): the same
 * feedback twice is stored once.
 */
@Entity({ name: 'feedback' })
@Index('UQ_feedback_request_row', ['requestId', 'rowIndex'], { unique: true })
export class FeedbackEntity {
  @PrimaryGeneratedColumn()
  id!: number;

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
