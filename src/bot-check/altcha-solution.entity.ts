import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A solved ALTCHA challenge, by its signature, until the challenge expires (accepted once). */
@Entity('altcha_solutions')
@Index('ix_altcha_solutions_expires', { synchronize: false })
export class AltchaSolutionEntity {
  @PrimaryColumn({ type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_altcha_solutions' }) signature: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
}
