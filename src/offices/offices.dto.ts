import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsISO8601, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { trimmed } from '../common/validation';

export class CreateClosureDto {
  @ApiProperty({ example: '2026-06-12T08:00:00+02:00', description: 'Start (ISO 8601 with offset)' })
  @IsISO8601({ strict: true })
  startsAt: string;

  @ApiProperty({ example: '2026-06-12T18:00:00+02:00', description: 'End, after the start' })
  @IsISO8601({ strict: true })
  endsAt: string;

  @ApiProperty({ example: 'Betriebsausflug', description: 'Shown to citizens and in the notice mail' })
  @Transform(trimmed)
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  reason: string;

  @ApiPropertyOptional({ description: 'Only list the bookings it would affect; write nothing' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    description:
      'Cancel the affected bookings with a notice mail (apology, link to book again); without it a closure with bookings is refused',
  })
  @IsOptional()
  @IsBoolean()
  cancelBookings?: boolean;
}

export class ClosureViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() startsAt: string;
  @ApiProperty() endsAt: string;
  @ApiProperty() reason: string;
}

export class AffectedBookingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() reference: string;
  @ApiProperty({ enum: ['pending', 'confirmed'] }) status: string;
  @ApiProperty() startsAt: string;
  @ApiProperty() serviceName: string;
}

export class ClosureResultDto {
  @ApiProperty() dryRun: boolean;
  @ApiPropertyOptional({ format: 'uuid' }) id?: string;
  @ApiProperty({
    type: [AffectedBookingDto],
    description: 'The bookings it takes counters from (cancelled with notice, when applied)',
  })
  affected: AffectedBookingDto[];
  @ApiPropertyOptional({ description: 'Time units whose counters it took' }) unitsClosed?: number;
}
