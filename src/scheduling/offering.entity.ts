import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { LocationEntity } from './location.entity';
import { ServiceEntity } from './service.entity';

/** A service as one office offers it. Without a row the office offers it with the service's default duration. */
@Entity('offerings')
@Check('ck_offerings_duration', 'duration_minutes BETWEEN 5 AND 480')
@Check('ck_offerings_max_per_booking', 'max_per_booking BETWEEN 1 AND 3')
export class OfferingEntity {
  @PrimaryColumn({ name: 'location_id', type: 'uuid', primaryKeyConstraintName: 'pk_offerings' }) locationId: string;
  @PrimaryColumn({ name: 'service_id', type: 'uuid', primaryKeyConstraintName: 'pk_offerings' }) serviceId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'offerings_location_id_fkey' })
  location?: LocationEntity;
  @ManyToOne(() => ServiceEntity)
  @JoinColumn({ name: 'service_id', foreignKeyConstraintName: 'offerings_service_id_fkey' })
  service?: ServiceEntity;
  @Column({ name: 'duration_minutes', type: 'integer' }) durationMinutes: number;
  @Column({ type: 'boolean', default: true }) bookable: boolean;
  @Column({ name: 'max_per_booking', type: 'integer', default: 1 }) maxPerBooking: number;
}
