import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const MAIL_EVENTS = ['delivered', 'delayed', 'deferred', 'bounced', 'failed'] as const;

/** Delivery events from relays and mail services that report by HTTP (signed with MAIL_WEBHOOK_SECRET). */
export class MailEventDto {
  @ApiPropertyOptional({ description: 'Our message id (the outbox id, also the DSN ENVID)', format: 'uuid' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  id?: string;
  @ApiPropertyOptional({ description: 'Or the Message-ID header, e.g. <uuid@termine.stadt.example>' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  messageId?: string;
  @ApiProperty({ enum: MAIL_EVENTS }) @IsIn(MAIL_EVENTS) event: (typeof MAIL_EVENTS)[number];
  @ApiPropertyOptional({ example: '5.1.1' }) @IsOptional() @Matches(/^[245]\.\d{1,3}\.\d{1,3}$/) status?: string;
  @ApiPropertyOptional({ example: '550 5.1.1 <x@example.org>: Recipient address rejected: User unknown' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  diagnostic?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) remoteMta?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(254) recipient?: string;
}
