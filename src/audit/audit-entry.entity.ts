import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

@Entity('audit_entries')
@Index('ix_audit_booking', { synchronize: false })
export class AuditEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'timestamptz' }) at: Date;
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId: string | null;
  @ManyToOne('StaffUserEntity')
  @JoinColumn({ name: 'actor_id', foreignKeyConstraintName: 'audit_entries_actor_id_fkey' })
  actor?: unknown;
  @Column({ name: 'actor_label', type: 'varchar', length: 254 }) actorLabel: string;
  @Column({ type: 'varchar', length: 64 }) action: string;
  @Column({ name: 'booking_id', type: 'uuid', nullable: true }) bookingId: string | null;
  @ManyToOne('BookingEntity')
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'audit_entries_booking_id_fkey' })
  booking?: unknown;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'jsonb', nullable: true }) before: unknown;
  @Column({ type: 'jsonb', nullable: true }) after: unknown;
}
