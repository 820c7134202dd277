import { Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { LocationEntity } from '../scheduling/location.entity';
import { StaffUserEntity } from './staff-user.entity';

/** A clerk bound to an office (migration StaffOffices). */
@Entity('staff_user_locations')
export class StaffUserLocationEntity {
  @PrimaryColumn({ name: 'staff_user_id', type: 'uuid', primaryKeyConstraintName: 'pk_staff_user_locations' })
  staffUserId: string;
  @ManyToOne(() => StaffUserEntity)
  @JoinColumn({ name: 'staff_user_id', foreignKeyConstraintName: 'staff_user_locations_staff_user_id_fkey' })
  staffUser?: StaffUserEntity;
  @PrimaryColumn({ name: 'location_id', type: 'uuid', primaryKeyConstraintName: 'pk_staff_user_locations' }) locationId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'staff_user_locations_location_id_fkey' })
  location?: LocationEntity;
}
