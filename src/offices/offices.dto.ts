import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
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

export class CreateOfficeDto {
  @ApiProperty({ example: 'Bürgeramt Mitte', maxLength: 200 })
  @Transform(trimmed)
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'Karl-Marx-Allee 31, 10178 Berlin', maxLength: 300 })
  @Transform(trimmed)
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  address: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'IANA time zone; set once' })
  @IsString()
  @MaxLength(64)
  timeZone: string;

  @ApiPropertyOptional({ example: 10, description: 'Length of the office’s time units (5–60, a divisor of 60); set once' })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(60)
  unitMinutes?: number;

  @ApiPropertyOptional({ example: '030 115 · buergeramt@bezirk.example', maxLength: 300, nullable: true })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(300)
  contact?: string | null;

  @ApiPropertyOptional({ example: 'Eingang über den Hof, barrierefrei', maxLength: 1000, nullable: true })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(1000)
  publicNotice?: string | null;

  @ApiPropertyOptional({ example: 'DE-BE', description: 'German state whose public holidays close the office', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  holidayRegion?: string | null;

  @ApiPropertyOptional({
    example: 3,
    nullable: true,
    description: 'Refuse bookings of addresses with this many no-shows in 90 days (0: off; null: NO_SHOW_LIMIT)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  noShowLimit?: number | null;
}

export class UpdateOfficeDto extends PartialType(CreateOfficeDto) {}

export class AdminOfficeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() address: string;
  @ApiProperty() timeZone: string;
  @ApiProperty() unitMinutes: number;
  @ApiProperty({ nullable: true, type: String }) contact: string | null;
  @ApiProperty({ nullable: true, type: String }) publicNotice: string | null;
  @ApiProperty({ nullable: true, type: String }) holidayRegion: string | null;
  @ApiProperty({ nullable: true, type: Number }) noShowLimit: number | null;
}

export class PeriodDto {
  @ApiProperty({ example: 1, description: 'ISO weekday, 1 = Monday' }) @IsInt() @Min(1) @Max(7) weekday: number;
  @ApiProperty({ example: '08:00' }) @IsString() @MaxLength(5) opens: string;
  @ApiProperty({ example: '12:00' }) @IsString() @MaxLength(5) closes: string;
  @ApiProperty({ example: 3, description: 'Counters open in this period (1–1000)' }) @IsInt() counters: number;
}

export class HoursVersionDto {
  @ApiProperty({ example: '2026-07-01' }) validFrom: string;
  @ApiProperty({ type: [PeriodDto] }) periods: PeriodDto[];
}

export class SetHoursDto {
  @ApiProperty({ example: '2026-07-01', description: 'First day these hours apply (today or later); replaces that version' })
  @IsString()
  validFrom: string;

  @ApiProperty({ type: [PeriodDto], description: 'The whole week of this version; a weekday not listed is closed' })
  @IsArray()
  @ArrayMaxSize(70)
  @ValidateNested({ each: true })
  @Type(() => PeriodDto)
  periods: PeriodDto[];

  @ApiPropertyOptional({ example: 'Personalmangel im Juli', description: 'Shown in the notice to cancelled bookings; audited' })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MinLength(3)
  @MaxLength(300)
  reason?: string;

  @ApiPropertyOptional({ description: 'Only list the bookings it would leave without a counter; write nothing' })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({ description: 'Cancel those bookings with a notice mail; without it such a change is refused' })
  @IsOptional()
  @IsBoolean()
  cancelBookings?: boolean;
}

export class HoursResultDto {
  @ApiProperty() dryRun: boolean;
  @ApiProperty() validFrom: string;
  @ApiProperty({ type: [AffectedBookingDto] }) affected: AffectedBookingDto[];
  @ApiProperty({ description: 'Counter units whose counters changed or that were made' }) unitsChanged: number;
}

export class CreateServiceDto {
  @ApiProperty({ example: 'Personalausweis beantragen', maxLength: 200 })
  @Transform(trimmed)
  @IsString()
  @MinLength(2)
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 20, description: 'Default duration in minutes (5–480); an office’s offering may differ' })
  @IsInt()
  @Min(5)
  @Max(480)
  durationMinutes: number;

  @ApiPropertyOptional({ maxLength: 2000, nullable: true })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ example: 'Altes Ausweisdokument, ein biometrisches Passfoto', maxLength: 2000, nullable: true })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(2000)
  whatToBring?: string | null;
}

export class UpdateServiceDto extends PartialType(CreateServiceDto) {
  @ApiPropertyOptional({ description: 'false takes the service off every office (refused while bookings are ahead)' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class ServiceAdminDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() durationMinutes: number;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ nullable: true, type: String }) whatToBring: string | null;
  @ApiProperty() active: boolean;
}

export class SetOfferingDto {
  @ApiProperty({ example: 20, description: 'Duration at this office (5–480 minutes)' })
  @IsInt()
  @Min(5)
  @Max(480)
  durationMinutes: number;
  @ApiProperty({ description: 'Whether citizens can book it at this office' }) @IsBoolean() bookable: boolean;
  @ApiProperty({ example: 1, description: 'How many of it one appointment may hold (1–3)' })
  @IsInt()
  @Min(1)
  @Max(3)
  maxPerBooking: number;
}

export class OfferedServiceDto extends ServiceAdminDto {
  @ApiProperty() bookable: boolean;
  @ApiProperty() maxPerBooking: number;
  @ApiProperty({ description: 'The office has terms of its own (else the service’s defaults)' }) configured: boolean;
}

export class OfficeDetailDto extends AdminOfficeDto {
  @ApiProperty({ type: [HoursVersionDto] }) hours: HoursVersionDto[];
  @ApiProperty({ type: [OfferedServiceDto] }) services: OfferedServiceDto[];
}
