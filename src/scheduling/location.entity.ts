import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

// The migrations are the schema's source of truth; entities name the same constraints so that
// `npm run migration:generate` reports only real differences. Indexes are declared with
// `synchronize: false`: written by hand in SQL (partial and expression indexes), never dropped.

@Entity('locations')
@Unique('uq_locations_name', ['name'])
@Check('ck_locations_unit_minutes', 'unit_minutes BETWEEN 5 AND 60 AND 60 % unit_minutes = 0')
export class LocationEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 300 }) address: string;
  @Column({ name: 'time_zone', type: 'varchar', length: 64 }) timeZone: string;
  /** The length of the office's time units (see CounterUnitEntity). */
  @Column({ name: 'unit_minutes', type: 'integer', default: 10 }) unitMinutes: number;
  /** Public holidays of this region close the office (`DE-BE`: Berlin), from date-holidays. */
  @Column({ name: 'holiday_region', type: 'varchar', length: 16, nullable: true }) holidayRegion: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
