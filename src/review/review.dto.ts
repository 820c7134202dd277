import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';

import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

import { trimmed as trim } from '../common/validation';

export class ReviewQueryDto {
  @ApiPropertyOptional({
    enum: ['mail_undelivered', 'held_for_mail'],
    description:
      'mail_undelivered: expired because the mail never arrived; held_for_mail: pending, mail not yet arrived. Default: both.',
  })
  @IsOptional()
  @IsIn(['mail_undelivered', 'held_for_mail'])
  reason?: 'mail_undelivered' | 'held_for_mail';
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() locationId?: string;
  @ApiPropertyOptional({ example: '2026-12-01', description: "The appointment's day in the office's zone" })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  @IsISO8601({ strict: true })
  day?: string;
  @ApiPropertyOptional({ example: 'united-internet' }) @IsOptional() @Matches(/^[a-z0-9][a-z0-9.-]{0,63}$/) family?: string;
  @ApiPropertyOptional({ description: 'Also closed reviews' })
  @IsOptional()
  @Transform(({ value }) => value === 'true' || value === true)
  @IsBoolean()
  includeClosed?: boolean;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({ default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000) offset?: number;
}

export class ReasonDto {
  @ApiProperty({ example: 'Bürgerin hat angerufen und die Buchungsnummer genannt' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason: string;
}

export class ExtendDto extends ReasonDto {
  @ApiProperty({ example: '2026-12-01T16:00:00+01:00' }) @IsISO8601({ strict: true }) until: string;
}

export class ReinstateDto extends ReasonDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Another slot; default: the booking's own" })
  @IsOptional()
  @IsUUID()
  slotId?: string;
}

export class RescheduleByStaffDto extends ReasonDto {
  @ApiProperty({ format: 'uuid', description: 'A free slot of the same service, at this or another office' })
  @IsUUID()
  slotId: string;
}
