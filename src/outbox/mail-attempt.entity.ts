import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { AttemptOutcome } from './outbox-states';
import { OutboxMessageEntity } from './outbox-message.entity';

@Entity('mail_attempts')
@Check('mail_attempts_outcome_check', "outcome IN ('accepted', 'deferred', 'held', 'bounced', 'failed', 'lease_expired')")
@Index('ix_mail_attempts_message', { synchronize: false })
@Index('ix_mail_attempts_family_time', { synchronize: false })
export class MailAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ name: 'message_id', type: 'uuid' }) messageId: string;
  @ManyToOne(() => OutboxMessageEntity)
  @JoinColumn({ name: 'message_id', foreignKeyConstraintName: 'mail_attempts_message_id_fkey' })
  message?: OutboxMessageEntity;
  @Column({ type: 'integer' }) attempt: number;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt: Date;
  @Column({ name: 'finished_at', type: 'timestamptz' }) finishedAt: Date;
  @Column({ type: 'varchar', length: 16 }) outcome: AttemptOutcome;
  @Column({ name: 'reply_code', type: 'integer', nullable: true }) replyCode: number | null;
  @Column({ type: 'text', nullable: true }) reply: string | null;
  @Column({ name: 'error_code', type: 'varchar', length: 40, nullable: true }) errorCode: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) category: string | null;
  @Column({ type: 'varchar', length: 100 }) worker: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) family: string | null;
}
