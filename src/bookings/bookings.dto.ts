import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';

import { Transform } from 'class-transformer';

import { trimmed as trim } from '../common/validation';

export class CreateBookingDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() slotId: string;
  @ApiProperty({ example: 'Erika Mustermann', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'name must not contain control characters' })
  name: string;
  @ApiProperty({ example: 'erika@example.org', maxLength: 254 })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_display_name: false, require_tld: true, allow_ip_domain: false })
  email: string;
  @ApiPropertyOptional({ example: '+49 30 1234567', description: 'Optional, for an SMS when mail cannot be delivered' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Matches(/^(?=.{6,32}$)\+?[0-9 ()\/-]+$/, {
    message: 'phone must be a telephone number of 6 to 32 characters (digits, spaces, + ( ) / -)',
  })
  phone?: string;
  @ApiPropertyOptional({ enum: ['de', 'en'], description: 'The language of the mails; German when not given' })
  @IsOptional()
  @IsIn(['de', 'en'])
  lang?: 'de' | 'en';
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description:
      'Services combined with the slot’s own in one appointment (up to 2; one counter, the durations added; a service may repeat up to its offering’s maximum). List the times with the same ids.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2)
  @IsUUID('all', { each: true })
  additionalServiceIds?: string[];
}

export class ChangeEmailDto {
  @ApiProperty({ example: 'erika@posteo.de' })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_display_name: false, require_tld: true, allow_ip_domain: false })
  email: string;
}

export class RescheduleDto {
  @ApiProperty({ format: 'uuid', description: 'A free slot of the same service, at this or another office' })
  @IsUUID()
  slotId: string;
}

export class AddPhoneDto {
  @ApiProperty({ example: '+49 151 2345678' })
  @Transform(trim)
  @IsString()
  @Matches(/^(?=.{6,32}$)\+?[0-9 ()\/-]+$/, {
    message: 'phone must be a telephone number of 6 to 32 characters (digits, spaces, + ( ) / -)',
  })
  phone: string;
}

export class CreatedBookingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'HF-7K3Q-9MPD' }) reference: string;
  @ApiProperty({ example: 'pending' }) status: string;
  @ApiProperty({ example: '2026-12-01T09:30:00+01:00' }) holdUntil: string;
  @ApiProperty({ description: 'Send as X-Booking-Token to read or cancel this booking' }) statusToken: string;
}
