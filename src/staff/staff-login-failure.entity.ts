import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Failed logins of one account from one source (`*`: from all), while their burst lasts. */
@Entity('staff_login_failures')
@Check('ck_staff_login_failures_count', 'failures > 0')
@Check('ck_staff_login_failures_order', 'first_failure_at <= last_failure_at')
@Index('ix_staff_login_failures_last', { synchronize: false })
export class StaffLoginFailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 254, primaryKeyConstraintName: 'pk_staff_login_failures' }) account: string;
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_staff_login_failures' }) source: string;
  @Column({ type: 'integer' }) failures: number;
  @Column({ name: 'first_failure_at', type: 'timestamptz' }) firstFailureAt: Date;
  @Column({ name: 'last_failure_at', type: 'timestamptz' }) lastFailureAt: Date;
}
