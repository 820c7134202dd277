import { ApiProperty } from '@nestjs/swagger';

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status: string;
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ok', 'degraded'], description: 'degraded: ready, but the mail transport does not answer' })
  status: string;
  @ApiProperty({ enum: ['up'] }) database: string;
  @ApiProperty({
    enum: ['up', 'down', 'unknown', 'direct'],
    description: 'The cached verify of the relay (or catcher); direct: no relay',
  })
  mail: string;
  @ApiProperty({ enum: ['up', 'off'], description: 'off: WORKERS_ENABLED=false' }) workers: string;
}
