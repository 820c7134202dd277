import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export type StaffRole = 'clerk' | 'supervisor' | 'admin';

@Entity('staff_users')
@Check('staff_users_role_check', "role IN ('clerk', 'supervisor', 'admin')")
@Index('uq_staff_users_email', { synchronize: false })
export class StaffUserEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 254 }) email: string;
  @Column({ name: 'display_name', type: 'varchar', length: 200 }) displayName: string;
  @Column({ type: 'varchar', length: 16 }) role: StaffRole;
  @Column({ name: 'password_hash', type: 'text', select: false }) passwordHash: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt: Date | null;
}

@Entity('staff_sessions')
export class StaffSessionEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea' }) tokenHash: Buffer;
  @Column({ name: 'staff_user_id', type: 'uuid' }) staffUserId: string;
  @ManyToOne(() => StaffUserEntity)
  @JoinColumn({ name: 'staff_user_id', foreignKeyConstraintName: 'staff_sessions_staff_user_id_fkey' })
  staffUser?: StaffUserEntity;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
}
