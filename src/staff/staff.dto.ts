import { STAFF_ROLES, type StaffRole } from './roles';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';

import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsNumberString,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

import { trimmed as trim } from '../common/validation';

export class LoginDto {
  @ApiProperty() @Transform(trim) @IsString() @MaxLength(254) @IsEmail() email: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) password: string;
}

export class CreateStaffDto {
  @ApiProperty() @Transform(trim) @IsString() @MaxLength(254) @IsEmail() email: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trim) @IsString() @MinLength(1) @MaxLength(200) displayName?: string;
  @ApiProperty({ enum: STAFF_ROLES }) @IsIn(STAFF_ROLES) role: StaffRole;
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'A clerk bound to these offices sees and changes only their bookings',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  locationIds?: string[];
  @ApiPropertyOptional({ description: 'At least 12 characters; generated and returned once when omitted' })
  @IsOptional()
  @IsString()
  @MinLength(12)
  @MaxLength(200)
  password?: string;
}

export class AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() bookingId?: string;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'Cursor: entries with a smaller id' })
  @IsOptional()
  @IsNumberString({ no_symbols: true })
  @MaxLength(18)
  before?: string;
}
