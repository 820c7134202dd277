import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

// The migrations are the schema's source of truth; entities name the same constraints so that
// `npm run migration:generate` reports only real differences. Indexes are declared with
// `synchronize: false`: written by hand in SQL (partial and expression indexes), never dropped.

@Entity('locations')
@Unique('uq_locations_name', ['name'])
@Check('ck_locations_no_show_limit', 'no_show_limit BETWEEN 0 AND 100')
@Check('ck_locations_time_zone', 'holdfast_known_time_zone(time_zone)')
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
  /** A phone number or e-mail address citizens may use, shown on the pages. */
  @Column({ type: 'varchar', length: 300, nullable: true }) contact: string | null;
  /** A notice shown to citizens on the office's pages (e.g. "Barrierefreier Zugang über den Hof"). */
  @Column({ name: 'public_notice', type: 'varchar', length: 1000, nullable: true }) publicNotice: string | null;
  /** Refuse bookings of addresses with this many no-shows in 90 days (0: off; NULL: NO_SHOW_LIMIT). */
  @Column({ name: 'no_show_limit', type: 'integer', nullable: true }) noShowLimit: number | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
