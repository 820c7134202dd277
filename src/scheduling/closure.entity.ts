import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { LocationEntity } from './location.entity';

/** An office closed for a whole or part day, with the reason citizens see (migration Closures). */
@Entity('closures')
@Check('ck_closures_order', 'starts_at < ends_at')
@Index('ix_closures_location', { synchronize: false })
export class ClosureEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_closures' }) id: string;
  @Column({ name: 'location_id', type: 'uuid' }) locationId: string;
  @ManyToOne(() => LocationEntity)
  @JoinColumn({ name: 'location_id', foreignKeyConstraintName: 'closures_location_id_fkey' })
  location?: LocationEntity;
  @Column({ name: 'starts_at', type: 'timestamptz' }) startsAt: Date;
  @Column({ name: 'ends_at', type: 'timestamptz' }) endsAt: Date;
  @Column({ type: 'varchar', length: 300 }) reason: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'created_by', type: 'varchar', length: 254 }) createdBy: string;
}
