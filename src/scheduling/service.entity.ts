import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity('services')
@Check('services_duration_minutes_check', 'duration_minutes BETWEEN 5 AND 480')
@Unique('uq_services_name', ['name'])
export class ServiceEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'duration_minutes', type: 'integer' }) durationMinutes: number;
  @Column({ type: 'varchar', length: 2000, nullable: true }) description: string | null;
  @Column({ name: 'what_to_bring', type: 'varchar', length: 2000, nullable: true }) whatToBring: string | null;
  /** An inactive service is not offered anywhere; its past bookings keep it. */
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
