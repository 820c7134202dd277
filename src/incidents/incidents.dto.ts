import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';

import { IsBoolean, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

import { trimmed as trim } from '../common/validation';

export class DeclareIncidentDto {
  @ApiProperty({ example: 'united-internet' }) @Matches(/^[a-z0-9][a-z0-9.-]{0,63}$/) family: string;
  @ApiProperty({ example: 'GMX und Web.de lehnen seit 10:42 ab; Relay-Queue wächst' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason: string;
}

export class ExtendHoldsDto {
  @ApiProperty({ example: '2026-12-03T18:00:00+01:00' }) @IsISO8601({ strict: true }) until: string;
  @ApiProperty() @Transform(trim) @IsString() @MinLength(3) @MaxLength(1000) reason: string;
  @ApiPropertyOptional({ default: true, description: 'Only count; send false to apply' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class EndIncidentDto {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(3) @MaxLength(1000) reason: string;
}
