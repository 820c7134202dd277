import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';

import { IsString, MaxLength, MinLength } from 'class-validator';

export class ProviderActionDto {
  @ApiProperty({ example: 'GMX blockt seit 10:42, Ticket beim Postmaster offen' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason: string;
}
