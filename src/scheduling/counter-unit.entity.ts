import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { LocationEntity } from './location.entity';

/**
 * One time unit of an office's day: how many counters are open then and how many are taken.
 * Kept by the database from `slots.booked` (trigger `slots_counters`, migration CounterUnits).
 */
@Entity('counter_units')
@Check('ck_counter_units_order', 'starts_at < ends_at')
@Check('ck_counter_units_length', "ends_at - starts_at <= interval '1 hour'")
@Check('ck_counter_units_counters', 'counters BETWEEN 0 AND 1000')
@Check('ck_counter_units_reserved', 'reserved >= 0 AND reserved <= counters')
export class CounterUnitEntity {
  @PrimaryColumn({ name: 'location_id', type: 'uuid', primaryKeyConstraintName: 'pk_counter_units' }) locationId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'counter_units_location_id_fkey' })
  location?: LocationEntity;
  @PrimaryColumn({ name: 'starts_at', type: 'timestamptz', primaryKeyConstraintName: 'pk_counter_units' }) startsAt: Date;
  @Column({ name: 'ends_at', type: 'timestamptz' }) endsAt: Date;
  @Column({ type: 'integer' }) counters: number;
  @Column({ type: 'integer', default: 0 }) reserved: number;
  /** Set by the migration where the old per-service slots had booked more than the counters. */
  @Column({ name: 'overbooked_by_migration', type: 'integer', nullable: true }) overbookedByMigration: number | null;
}
