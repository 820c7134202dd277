import { ApiProperty } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';

export class SmsEventDto {
  @ApiProperty({ description: 'The `reference` we sent with the SMS (our message id)', format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  reference: string;
  @ApiProperty({ enum: ['delivered', 'failed'] }) @IsIn(['delivered', 'failed']) status: 'delivered' | 'failed';
}
