import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { StaffUserEntity } from './staff-user.entity';

export const STAFF_SESSION_KINDS = ['bearer', 'cookie'] as const;
export type StaffSessionKind = (typeof STAFF_SESSION_KINDS)[number];

/** A signed-in staff member: a bearer token (integrations) or the console's cookie; only the token's hash is kept. */
@Entity('staff_sessions')
@Unique('uq_staff_sessions_id', ['id'])
@Check('ck_staff_sessions_kind', "kind IN ('bearer', 'cookie')")
@Check('ck_staff_sessions_seen', 'last_seen_at >= created_at')
@Index('ix_staff_sessions_user', ['staffUserId'])
export class StaffSessionEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea' }) tokenHash: Buffer;
  /** What an admin names to revoke it. */
  @Column({ type: 'uuid' }) id: string;
  @Column({ name: 'staff_user_id', type: 'uuid' }) staffUserId: string;
  @ManyToOne(() => StaffUserEntity)
  @JoinColumn({ name: 'staff_user_id', foreignKeyConstraintName: 'staff_sessions_staff_user_id_fkey' })
  staffUser?: StaffUserEntity;
  @Column({ type: 'varchar', length: 8 }) kind: StaffSessionKind;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt: Date;
}
