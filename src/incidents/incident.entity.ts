import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('incidents')
@Index('uq_incidents_open_family', { synchronize: false })
export class IncidentEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 64 }) family: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ name: 'declared_at', type: 'timestamptz' }) declaredAt: Date;
  @Column({ name: 'declared_by', type: 'varchar', length: 254 }) declaredBy: string;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt: Date | null;
  @Column({ name: 'ended_by', type: 'varchar', length: 254, nullable: true }) endedBy: string | null;
  @Column({ name: 'end_reason', type: 'text', nullable: true }) endReason: string | null;
}
