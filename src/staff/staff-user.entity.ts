import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { StaffRole } from './roles';

@Entity('staff_users')
@Check('staff_users_role_check', "role IN ('clerk', 'supervisor', 'admin')")
@Check('ck_staff_users_sso', '(sso_issuer IS NULL) = (sso_subject IS NULL)')
@Index('uq_staff_users_email', { synchronize: false })
@Index('uq_staff_users_sso', ['ssoIssuer', 'ssoSubject'], { unique: true })
export class StaffUserEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 254 }) email: string;
  @Column({ name: 'display_name', type: 'varchar', length: 200 }) displayName: string;
  @Column({ type: 'varchar', length: 16 }) role: StaffRole;
  @Column({ name: 'password_hash', type: 'text', select: false }) passwordHash: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt: Date | null;
  /** The person's identity at the city's OpenID provider, once they signed in through it. */
  @Column({ name: 'sso_issuer', type: 'varchar', length: 500, nullable: true }) ssoIssuer: string | null;
  @Column({ name: 'sso_subject', type: 'varchar', length: 255, nullable: true }) ssoSubject: string | null;
}
