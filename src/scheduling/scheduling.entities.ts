import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';

// The migrations are the schema's source of truth; entities name the same constraints so that
// `npm run migration:generate` reports only real differences. Indexes are declared with
// `synchronize: false`: written by hand in SQL (partial and expression indexes), never dropped.

@Entity('locations')
@Unique('uq_locations_name', ['name'])
export class LocationEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 300 }) address: string;
  @Column({ name: 'time_zone', type: 'varchar', length: 64 }) timeZone: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

@Entity('services')
@Check('services_duration_minutes_check', 'duration_minutes BETWEEN 5 AND 480')
@Unique('uq_services_name', ['name'])
export class ServiceEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'duration_minutes', type: 'integer' }) durationMinutes: number;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

@Entity('opening_hours')
@Index('ix_opening_hours_location', { synchronize: false })
@Check('opening_hours_weekday_check', 'weekday BETWEEN 1 AND 7')
@Check('opening_hours_counters_check', 'counters BETWEEN 1 AND 1000')
@Check('ck_opening_hours_order', 'opens < closes')
export class OpeningHoursEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'opening_hours_location_id_fkey' })
  location?: LocationEntity;
  @Column({ type: 'smallint' }) weekday: number;
  @Column({ type: 'time' }) opens: string;
  @Column({ type: 'time' }) closes: string;
  @Column({ type: 'integer' }) counters: number;
}

@Entity('slots')
@Unique('uq_slots_location_service_start', ['locationId', 'serviceId', 'startsAt'])
@Check('ck_slots_booked', 'booked >= 0 AND booked <= capacity')
@Check('slots_capacity_check', 'capacity >= 0')
@Check('ck_slots_order', 'starts_at < ends_at')
@Index('ix_slots_search', { synchronize: false })
export class SlotEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'slots_location_id_fkey' })
  location?: LocationEntity;
  @Column({ name: 'service_id', type: 'uuid' }) serviceId: string;
  @ManyToOne(() => ServiceEntity)
  @JoinColumn({ name: 'service_id', foreignKeyConstraintName: 'slots_service_id_fkey' })
  service?: ServiceEntity;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt: Date;
  @Column({ name: 'ends_at', type: 'timestamptz' }) endsAt: Date;
  @Column({ type: 'integer' }) capacity: number;
  @Column({ type: 'integer', default: 0 }) booked: number;
}
