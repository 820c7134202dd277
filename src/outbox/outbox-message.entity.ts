import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';

import type { DeliveryEvidence, OutboxState } from './outbox-states';

@Entity('outbox_messages')
@Unique('uq_outbox_message_id', ['messageId'])
@Check('outbox_messages_channel_check', "channel IN ('email', 'sms')")
@Check('outbox_messages_attempts_check', 'attempts >= 0')
@Check('ck_outbox_state', 'see migration BookingCore')
@Check('ck_outbox_lease', 'see migration BookingCore')
@Index('ix_outbox_due', { synchronize: false })
@Index('uq_outbox_reminder', { synchronize: false })
@Index('ix_outbox_leased', { synchronize: false })
@Index('ix_outbox_booking', { synchronize: false })
@Index('ix_outbox_family_waiting', { synchronize: false })
@Index('ix_outbox_unresolved', { synchronize: false })
@Index('ix_outbox_family_due', { synchronize: false })
@Check('outbox_messages_accepted_by_check', "accepted_by IN ('relay', 'mx', 'sms_gateway')")
@Check('ck_outbox_delivery_evidence', 'see migration RelayTransit')
@Check('ck_outbox_email_delivered', 'see migration RelayTransit')
@Check('ck_outbox_in_transit', 'see migration RelayTransit')
@Index('ix_outbox_in_transit', { synchronize: false })
@Index('ix_outbox_relay_accepted', { synchronize: false })
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'booking_id', type: 'uuid', nullable: true }) bookingId: string | null;
  @ManyToOne('BookingEntity')
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'outbox_messages_booking_id_fkey' })
  booking?: unknown;
  @Column({ type: 'varchar', length: 40 }) kind: string;
  @Column({ type: 'varchar', length: 16 }) channel: 'email' | 'sms';
  @Column({ type: 'varchar', length: 254 }) recipient: string;
  @Column({ name: 'message_id', type: 'varchar', length: 200 }) messageId: string;
  @Column({ type: 'jsonb' }) payload: unknown;
  @Column({ type: 'varchar', length: 24, default: 'queued' }) state: OutboxState;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt: Date;
  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true }) leaseOwner: string | null;
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil: Date | null;
  @Column({ name: 'last_reply_code', type: 'integer', nullable: true }) lastReplyCode: number | null;
  @Column({ name: 'last_reply', type: 'text', nullable: true }) lastReply: string | null;
  @Column({ name: 'last_reply_category', type: 'varchar', length: 32, nullable: true }) lastReplyCategory: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true }) acceptedAt: Date | null;
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true }) failedAt: Date | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) family: string | null;
  @Column({ name: 'accepted_by', type: 'varchar', length: 16, nullable: true }) acceptedBy: 'relay' | 'mx' | 'sms_gateway' | null;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt: Date | null;
  /** What proved the delivery: the MX's reply (`smtp`), a report, the transit rule, or an acceptance before reports were asked for. */
  @Column({ name: 'delivery_evidence', type: 'varchar', length: 16, nullable: true }) deliveryEvidence: DeliveryEvidence | null;
  /** The relay announced DSN on the connection that took this mail, and was asked for success reports. */
  @Column({ name: 'reports_requested', type: 'boolean', nullable: true }) reportsRequested: boolean | null;
  @Column({ name: 'is_probe', type: 'boolean', default: false }) isProbe: boolean;
}
