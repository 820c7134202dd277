import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { BookingStatus, ExpiryReason } from './booking-state';

@Entity('bookings')
@Check('ck_bookings_status', "status IN ('pending', 'confirmed', 'cancelled', 'expired')")
@Check('ck_bookings_expiry_reason', "expiry_reason IN ('not_confirmed', 'mail_undelivered')")
@Check('ck_bookings_status_columns', 'see migration BookingCore')
@Index('uq_bookings_active_email_slot', { synchronize: false })
@Index('ix_bookings_email_key_active', { synchronize: false })
@Index('ix_bookings_pending_hold', { synchronize: false })
@Index('ix_bookings_slot', { synchronize: false })
@Index('ix_bookings_review', { synchronize: false })
@Index('ix_bookings_not_anonymised', { synchronize: false })
@Check('ck_bookings_anonymised', 'see migration Retention')
@Check('bookings_review_status_check', "review_status IN ('open', 'closed')")
@Check('ck_bookings_lang', "lang IN ('de', 'en')")
@Check('ck_bookings_ics_sequence', 'ics_sequence >= 0')
@Check('ck_bookings_attendance', "attendance IN ('arrived', 'served', 'no_show')")
@Check('ck_bookings_extra_services', 'cardinality(extra_service_ids) <= 2')
@Check('ck_bookings_extra_minutes', 'see migration OfficeAdmin')
@Unique('uq_bookings_reference', ['reference'])
export class BookingEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 12 }) reference: string;
  @Column({ name: 'slot_id', type: 'uuid' }) slotId: string;
  @ManyToOne('SlotEntity')
  @JoinColumn({ name: 'slot_id', foreignKeyConstraintName: 'bookings_slot_id_fkey' })
  slot?: unknown;
  @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne('LocationEntity')
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'bookings_location_id_fkey' })
  location?: unknown;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 254 }) email: string;
  /** The address as its mailbox sees it (`holdfast_address_key`, kept by a trigger): what the per-address limits count. */
  @Column({ name: 'email_key', type: 'text', insert: false, update: false }) emailKey: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) phone: string | null;
  /** The language the citizen booked in; their mails follow it. */
  @Column({ type: 'varchar', length: 2, default: 'de' }) lang: 'de' | 'en';
  @Column({ type: 'varchar', length: 16 }) status: BookingStatus;
  @Column({ name: 'hold_until', type: 'timestamptz' }) holdUntil: Date;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  /** When the current hold started: the booking, or its reinstatement. */
  @Column({ name: 'hold_started_at', type: 'timestamptz' }) holdStartedAt: Date;
  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true }) confirmedAt: Date | null;
  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true }) cancelledAt: Date | null;
  @Column({ name: 'expired_at', type: 'timestamptz', nullable: true }) expiredAt: Date | null;
  @Column({ name: 'expiry_reason', type: 'varchar', length: 32, nullable: true }) expiryReason: ExpiryReason | null;
  @Column({ name: 'status_token_version', type: 'integer', default: 1 }) statusTokenVersion: number;
  @Column({ name: 'goodwill_until', type: 'timestamptz', nullable: true }) goodwillUntil: Date | null;
  @Column({ name: 'hold_reason', type: 'varchar', length: 32, nullable: true }) holdReason: string | null;
  @Column({ name: 'review_status', type: 'varchar', length: 8, nullable: true }) reviewStatus: 'open' | 'closed' | null;
  @Column({ name: 'review_closed_at', type: 'timestamptz', nullable: true }) reviewClosedAt: Date | null;
  /** The calendar entry's SEQUENCE: raised with each move of the appointment (migration Reschedule). */
  @Column({ name: 'ics_sequence', type: 'integer', default: 0 }) icsSequence: number;
  /** At the counter (migration CounterDay): arrived, served, or a no-show. */
  @Column({ type: 'varchar', length: 8, nullable: true }) attendance: 'arrived' | 'served' | 'no_show' | null;
  @Column({ name: 'attendance_at', type: 'timestamptz', nullable: true }) attendanceAt: Date | null;
  @Column({ name: 'walk_in', type: 'boolean', default: false }) walkIn: boolean;
  /** The services combined with the slot's own (up to 2 more), and their minutes after the slot. */
  @Column({ name: 'extra_service_ids', type: 'uuid', array: true, default: () => "'{}'" }) extraServiceIds: string[];
  @Column({ name: 'extra_minutes', type: 'integer', default: 0 }) extraMinutes: number;
  @Column({ name: 'anonymised_at', type: 'timestamptz', nullable: true }) anonymisedAt: Date | null;
}
