import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { BookingEntity } from '../bookings/booking.entity';

export const OUTBOX_STATES = [
  'queued',
  'sending',
  'deferred',
  'held_provider_blocked',
  'accepted',
  'delayed',
  'bounced',
  'failed',
  'cancelled',
] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export type AttemptOutcome = 'accepted' | 'deferred' | 'held' | 'bounced' | 'failed' | 'lease_expired';

@Entity('outbox_messages')
@Unique('uq_outbox_message_id', ['messageId'])
@Check('outbox_messages_channel_check', "channel IN ('email', 'sms')")
@Check('outbox_messages_attempts_check', 'attempts >= 0')
@Check('ck_outbox_state', 'see migration BookingCore')
@Check('ck_outbox_lease', 'see migration BookingCore')
@Index('ix_outbox_due', { synchronize: false })
@Index('ix_outbox_leased', { synchronize: false })
@Index('ix_outbox_booking', { synchronize: false })
@Index('ix_outbox_family_waiting', { synchronize: false })
@Index('ix_outbox_unresolved', { synchronize: false })
@Index('ix_outbox_family_due', { synchronize: false })
@Check('outbox_messages_accepted_by_check', "accepted_by IN ('relay', 'mx', 'sms_gateway')")
export class OutboxMessageEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'booking_id', type: 'uuid', nullable: true }) bookingId: string | null;
  @ManyToOne(() => BookingEntity)
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'outbox_messages_booking_id_fkey' })
  booking?: BookingEntity;
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
  @Column({ name: 'is_probe', type: 'boolean', default: false }) isProbe: boolean;
}

@Entity('mail_attempts')
@Check('mail_attempts_outcome_check', "outcome IN ('accepted', 'deferred', 'held', 'bounced', 'failed', 'lease_expired')")
@Index('ix_mail_attempts_message', { synchronize: false })
@Index('ix_mail_attempts_family_time', { synchronize: false })
export class MailAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'message_id', type: 'uuid' }) messageId: string;
  @ManyToOne(() => OutboxMessageEntity)
  @JoinColumn({ name: 'message_id', foreignKeyConstraintName: 'mail_attempts_message_id_fkey' })
  message?: OutboxMessageEntity;
  @Column({ type: 'integer' }) attempt: number;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt: Date;
  @Column({ name: 'finished_at', type: 'timestamptz' }) finishedAt: Date;
  @Column({ type: 'varchar', length: 16 }) outcome: AttemptOutcome;
  @Column({ name: 'reply_code', type: 'integer', nullable: true }) replyCode: number | null;
  @Column({ type: 'text', nullable: true }) reply: string | null;
  @Column({ name: 'error_code', type: 'varchar', length: 40, nullable: true }) errorCode: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) category: string | null;
  @Column({ type: 'varchar', length: 100 }) worker: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) family: string | null;
}
