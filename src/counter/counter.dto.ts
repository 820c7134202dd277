import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { trimmed } from '../common/validation';

export class DayQueryDto {
  @ApiPropertyOptional({ example: '2026-06-02', description: "The office's local day; default today" })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be yyyy-MM-dd' })
  date?: string;
}

export class AttendanceDto {
  @ApiProperty({ enum: ['arrived', 'served', 'no_show'] })
  @IsIn(['arrived', 'served', 'no_show'])
  state: 'arrived' | 'served' | 'no_show';
}

export class WalkInDto {
  @ApiProperty({ format: 'uuid', description: 'A slot with a free counter now' }) @IsUUID() slotId: string;
  @ApiProperty({ example: 'Erika Mustermann' })
  @Transform(trimmed)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

export class DayBookingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() reference: string;
  @ApiProperty() name: string;
  @ApiProperty() serviceName: string;
  @ApiProperty() startsAt: string;
  @ApiProperty() endsAt: string;
  @ApiProperty({ enum: ['pending', 'confirmed', 'cancelled', 'expired'] }) status: string;
  @ApiPropertyOptional({ enum: ['arrived', 'served', 'no_show'], nullable: true }) attendance: string | null;
  @ApiProperty() walkIn: boolean;
}

export class DayListDto {
  @ApiProperty() date: string;
  @ApiProperty() location: { id: string; name: string };
  @ApiProperty({ type: [DayBookingDto] }) bookings: DayBookingDto[];
}
