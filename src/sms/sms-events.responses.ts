import { ApiProperty } from '@nestjs/swagger';

/** POST /api/v1/sms/events: whether the report named one of our messages. */
export class SmsEventOutcomeDto {
  @ApiProperty() matched: boolean;
  @ApiProperty({ required: false, description: 'true: this report was applied before; nothing changed' }) duplicate?: boolean;
}
