import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { LocationEntity } from './location.entity';
import { ServiceEntity } from './service.entity';

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
