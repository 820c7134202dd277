import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';

export class StatsQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'One office; all offices without it' })
  @IsOptional()
  @IsUUID()
  locationId?: string;
  @ApiProperty({ example: '2026-06-01' }) @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be yyyy-MM-dd' }) from: string;
  @ApiProperty({ example: '2026-07-01', description: 'Exclusive' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be yyyy-MM-dd' })
  to: string;
}
