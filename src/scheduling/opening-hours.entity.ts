import { Check, Column, Entity, Exclusion, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { LocationEntity } from './location.entity';

@Entity('opening_hours')
@Index('ix_opening_hours_location', { synchronize: false })
@Check('opening_hours_weekday_check', 'weekday BETWEEN 1 AND 7')
@Check('opening_hours_counters_check', 'counters BETWEEN 1 AND 1000')
@Check('ck_opening_hours_order', 'opens < closes')
@Exclusion(
  'ex_opening_hours_overlap',
  'USING gist (location_id WITH =, weekday WITH =, valid_from WITH =, holdfast_time_range(opens, closes) WITH &&)',
)
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
  /** The first day these hours apply; the version with the latest valid_from not after a day is that day's. */
  @Column({ name: 'valid_from', type: 'date', default: () => "'2000-01-01'" }) validFrom: string;
}
