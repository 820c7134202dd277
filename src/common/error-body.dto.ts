import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS } from './domain-error';

/** What every failure answers (http-error.filter.ts): a stable code, a message, the request id. */
export class ErrorDetail {
  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'SLOT_FULL' }) code: string;
  @ApiProperty({ example: 'This slot is fully booked.' }) message: string;
  @ApiPropertyOptional({
    description: 'More about it, e.g. the fields that failed validation: [{ field, problems }]',
    oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }],
  })
  details?: unknown;
  @ApiProperty({
    description: 'The X-Request-Id this answer carries; quote it when reporting a problem',
    example: 'b4c2346d-b500-4a2e-9db1-c70e96722954',
  })
  requestId: string;
}

export class ErrorBody {
  @ApiProperty({ type: ErrorDetail }) error: ErrorDetail;
}
