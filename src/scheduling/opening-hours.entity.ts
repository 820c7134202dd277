import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { LocationEntity } from './location.entity';

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
