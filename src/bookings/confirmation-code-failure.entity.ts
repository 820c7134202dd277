import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Wrong SMS codes for one reference from one source, within the last hour. */
@Entity('confirmation_code_failures')
@Check('ck_code_failures_count', 'failures > 0')
@Index('ix_code_failures_last', { synchronize: false })
export class ConfirmationCodeFailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_confirmation_code_failures' }) reference: string;
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_confirmation_code_failures' }) source: string;
  @Column({ type: 'integer' }) failures: number;
  @Column({ name: 'last_failure_at', type: 'timestamptz' }) lastFailureAt: Date;
}
