import { ApiProperty } from '@nestjs/swagger';

export class AttendanceRecordedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['arrived', 'served', 'no_show'] }) attendance: string;
}

export class WalkInCreatedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() reference: string;
  @ApiProperty({ enum: ['confirmed'] }) status: string;
  @ApiProperty({ enum: ['arrived'] }) attendance: string;
}
