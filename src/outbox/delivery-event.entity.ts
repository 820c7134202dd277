import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { OutboxMessageEntity } from './outbox-message.entity';

@Entity('delivery_events')
@Check('delivery_events_source_check', "source IN ('smtp', 'dsn', 'webhook', 'staff')")
@Index('ix_delivery_events_message', { synchronize: false })
@Index('ix_delivery_events_at', { synchronize: false })
@Index('ix_delivery_events_unmatched_raw', { synchronize: false })
export class DeliveryEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'message_id', type: 'uuid', nullable: true }) messageId: string | null;
  @ManyToOne(() => OutboxMessageEntity)
  @JoinColumn({ name: 'message_id', foreignKeyConstraintName: 'delivery_events_message_id_fkey' })
  message?: OutboxMessageEntity;
  @Column({ type: 'timestamptz' }) at: Date;
  @Column({ type: 'varchar', length: 8 }) source: 'smtp' | 'dsn' | 'webhook' | 'staff';
  @Column({ type: 'varchar', length: 24 }) kind: string;
  @Column({ name: 'state_after', type: 'varchar', length: 24, nullable: true }) stateAfter: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) category: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) status: string | null;
  @Column({ type: 'text', nullable: true }) reply: string | null;
  @Column({ name: 'remote_mta', type: 'varchar', length: 255, nullable: true }) remoteMta: string | null;
  @Column({ type: 'varchar', length: 254, nullable: true }) recipient: string | null;
  @Column({ name: 'unmatched_reason', type: 'varchar', length: 64, nullable: true }) unmatchedReason: string | null;
  @Column({ type: 'text', nullable: true }) raw: string | null;
}
