import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { LocationEntity, SlotEntity } from '../scheduling/scheduling.entities';
import type { BookingStatus, ExpiryReason } from './booking-state';

@Entity('bookings')
@Check('ck_bookings_status', "status IN ('pending', 'confirmed', 'cancelled', 'expired')")
@Check('ck_bookings_expiry_reason', "expiry_reason IN ('not_confirmed', 'mail_undelivered')")
@Check('ck_bookings_status_columns', 'see migration BookingCore')
@Index('uq_bookings_active_email_slot', { synchronize: false })
@Index('ix_bookings_email_active', { synchronize: false })
@Index('ix_bookings_pending_hold', { synchronize: false })
@Index('ix_bookings_slot', { synchronize: false })
@Index('ix_bookings_review', { synchronize: false })
@Check('bookings_review_status_check', "review_status IN ('open', 'closed')")
@Unique('uq_bookings_reference', ['reference'])
export class BookingEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 12 }) reference: string;
  @Column({ name: 'slot_id', type: 'uuid' }) slotId: string;
  @ManyToOne(() => SlotEntity)
  @JoinColumn({ name: 'slot_id', foreignKeyConstraintName: 'bookings_slot_id_fkey' })
  slot?: SlotEntity;
  @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'bookings_location_id_fkey' })
  location?: LocationEntity;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 254 }) email: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) phone: string | null;
  @Column({ type: 'varchar', length: 16 }) status: BookingStatus;
  @Column({ name: 'hold_until', type: 'timestamptz' }) holdUntil: Date;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true }) confirmedAt: Date | null;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt: Date | null;
  @Column({ name: 'expired_at', type: 'timestamptz', nullable: true }) expiredAt: Date | null;
  @Column({ name: 'expiry_reason', type: 'varchar', length: 32, nullable: true }) expiryReason: ExpiryReason | null;
  @Column({ name: 'status_token_version', type: 'integer', default: 1 }) statusTokenVersion: number;
  @Column({ name: 'goodwill_until', type: 'timestamptz', nullable: true }) goodwillUntil: Date | null;
  @Column({ name: 'hold_reason', type: 'varchar', length: 32, nullable: true }) holdReason: string | null;
  @Column({ name: 'review_status', type: 'varchar', length: 8, nullable: true }) reviewStatus: 'open' | 'closed' | null;
  @Column({ name: 'review_closed_at', type: 'timestamptz', nullable: true }) reviewClosedAt: Date | null;
}

@Entity('confirmation_codes')
@Check('confirmation_codes_failed_attempts_check', 'failed_attempts >= 0')
export class ConfirmationCodeEntity {
  @PrimaryColumn({ name: 'booking_id', type: 'uuid' }) bookingId: string;
  @ManyToOne(() => BookingEntity)
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'confirmation_codes_booking_id_fkey' })
  booking?: BookingEntity;
  @Column({ name: 'code_hash', type: 'bytea' }) codeHash: Buffer;
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 }) failedAttempts: number;
  @Column({ name: 'locked_at', type: 'timestamptz', nullable: true }) lockedAt: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity('incidents')
@Index('uq_incidents_open_family', { synchronize: false })
export class IncidentEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 64 }) family: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ name: 'declared_at', type: 'timestamptz' }) declaredAt: Date;
  @Column({ name: 'declared_by', type: 'varchar', length: 254 }) declaredBy: string;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt: Date | null;
  @Column({ name: 'ended_by', type: 'varchar', length: 254, nullable: true }) endedBy: string | null;
  @Column({ name: 'end_reason', type: 'text', nullable: true }) endReason: string | null;
}

@Entity('idempotency_keys')
export class IdempotencyKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 }) key: string;
  @Column({ name: 'request_hash', type: 'varchar', length: 64 }) requestHash: string;
  @Column({ name: 'booking_id', type: 'uuid', nullable: true }) bookingId: string | null;
  @ManyToOne(() => BookingEntity)
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'idempotency_keys_booking_id_fkey' })
  booking?: BookingEntity;
  @Column({ type: 'jsonb', nullable: true }) response: unknown;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity('confirmation_tokens')
@Unique('uq_confirmation_tokens_hash', ['tokenHash'])
@Index('ix_confirmation_tokens_booking', { synchronize: false })
export class ConfirmationTokenEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'booking_id', type: 'uuid' }) bookingId: string;
  @ManyToOne(() => BookingEntity)
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'confirmation_tokens_booking_id_fkey' })
  booking?: BookingEntity;
  @Column({ name: 'token_hash', type: 'bytea' }) tokenHash: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
