import { ApiProperty } from '@nestjs/swagger';
import { OUTBOX_STATES } from './outbox-states';

/** OpenAPI shapes of a message as its booking's holder and the clerks see it (booking-view.ts). */
export class AttemptViewDto {
  @ApiProperty() attempt: number;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ enum: ['accepted', 'deferred', 'held', 'bounced', 'failed', 'lease_expired'] }) outcome: string;
  @ApiProperty({ type: Number, nullable: true }) replyCode: number | null;
  @ApiProperty({ type: String, nullable: true }) reply: string | null;
  @ApiProperty({ type: String, nullable: true }) errorCode: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The reply classifier’s category' }) category: string | null;
}

export class ReportViewDto {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ description: 'dsn, webhook, …' }) source: string;
  @ApiProperty({ description: 'delivered, delayed, failed, …' }) kind: string;
  @ApiProperty({ type: String, nullable: true }) status: string | null;
  @ApiProperty({ type: String, nullable: true }) category: string | null;
  @ApiProperty({ type: String, nullable: true }) reply: string | null;
  @ApiProperty({ type: String, nullable: true }) remoteMta: string | null;
  @ApiProperty({ type: String, nullable: true }) stateAfter: string | null;
}

export class MessageViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'booking_confirmation' }) kind: string;
  @ApiProperty({ enum: ['email', 'sms'] }) channel: string;
  @ApiProperty() recipient: string;
  @ApiProperty({ enum: OUTBOX_STATES }) state: string;
  @ApiProperty({ type: String, nullable: true, example: 'united-internet' }) family: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['relay', 'mx', 'sms_gateway', null] }) acceptedBy: string | null;
  @ApiProperty() attempts: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) acceptedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) failedAt: string | null;
  @ApiProperty({ type: Number, nullable: true }) lastReplyCode: number | null;
  @ApiProperty({ type: String, nullable: true }) lastReply: string | null;
  @ApiProperty({ type: String, nullable: true }) lastReplyCategory: string | null;
  @ApiProperty({ type: [AttemptViewDto] }) history: AttemptViewDto[];
  @ApiProperty({ type: [ReportViewDto] }) reports: ReportViewDto[];
}
