import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsISO8601, IsOptional, IsUUID } from 'class-validator';

/** A query parameter given once, repeated, or comma-separated, as a list. */
const asList = ({ value }: { value: unknown }) =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter(Boolean);

export class SlotQueryDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() locationId: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() serviceId: string;
  @ApiPropertyOptional({
    example: '2026-12-01',
    description: "ISO date or date-time; a bare date is read in the location's zone. Default: now.",
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;
  @ApiPropertyOptional({
    example: '2026-12-08',
    description: 'Exclusive end; default: from + 14 days; at most 62 days after from.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
  @ApiPropertyOptional({
    type: [String],
    description:
      'Services to combine with this one in one appointment (up to 2, repeated or comma-separated): the times with room for all of them',
  })
  @IsOptional()
  @Transform(asList)
  @IsArray()
  @ArrayMaxSize(2)
  @IsUUID('all', { each: true })
  additionalServiceIds?: string[];
}

export class LocationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Bürgeramt Mitte' }) name: string;
  @ApiProperty() address: string;
  @ApiProperty({ example: 'Europe/Berlin' }) timeZone: string;
}

export class ServiceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Personalausweis beantragen' }) name: string;
  @ApiProperty({ example: 20 }) durationMinutes: number;
}

export class SlotDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) locationId: string;
  @ApiProperty({ format: 'uuid' }) serviceId: string;
  @ApiProperty({ example: '2026-12-01T08:00:00+01:00' }) startsAt: string;
  @ApiProperty({ example: '2026-12-01T08:20:00+01:00' }) endsAt: string;
  @ApiProperty() capacity: number;
  @ApiProperty({ description: 'Free places left' }) available: number;
}
