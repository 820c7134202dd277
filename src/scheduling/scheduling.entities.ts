import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';

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
@Unique('uq_services_name', ['name'])
export class ServiceEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'duration_minutes', type: 'integer' }) durationMinutes: number;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

@Entity('opening_hours')
export class OpeningHoursEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index('ix_opening_hours_location') @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne(() => LocationEntity) @JoinColumn({ name: 'location_id' }) location?: LocationEntity;
  @Column({ type: 'smallint' }) weekday: number;
  @Column({ type: 'time' }) opens: string;
  @Column({ type: 'time' }) closes: string;
  @Column({ type: 'integer' }) counters: number;
}

@Entity('slots')
@Unique('uq_slots_location_service_start', ['locationId', 'serviceId', 'startsAt'])
@Check('ck_slots_booked', 'booked >= 0 AND booked <= capacity')
@Index('ix_slots_search', ['locationId', 'serviceId', 'startsAt'])
export class SlotEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne(() => LocationEntity) @JoinColumn({ name: 'location_id' }) location?: LocationEntity;
  @Column({ name: 'service_id', type: 'uuid' }) serviceId: string;
  @ManyToOne(() => ServiceEntity) @JoinColumn({ name: 'service_id' }) service?: ServiceEntity;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt: Date;
  @Column({ name: 'ends_at', type: 'timestamptz' }) endsAt: Date;
  @Column({ type: 'integer' }) capacity: number;
  @Column({ type: 'integer', default: 0 }) booked: number;
}
