import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { BookingEntity } from './booking.entity';

@Entity('confirmation_tokens')
@Unique('uq_confirmation_tokens_hash', ['tokenHash'])
@Index('ix_confirmation_tokens_booking', { synchronize: false })
export class ConfirmationTokenEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'booking_id', type: 'uuid' }) bookingId: string;
  @ManyToOne(() => BookingEntity)
  @JoinColumn({ name: 'booking_id', foreignKeyConstraintName: 'confirmation_tokens_booking_id_fkey' })
  booking?: BookingEntity;
  @Column({ name: 'token_hash', type: 'bytea' }) tokenHash: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt: Date | null;
}
