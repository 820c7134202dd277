import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RateLimited } from '../common/rate-limit';
import { AltchaService } from './altcha.service';

@ApiTags('bookings')
@Controller('api/v1/altcha')
export class AltchaController {
  constructor(private readonly altcha: AltchaService) {}

  @RateLimited('status')
  @Get('challenge')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'A proof-of-work challenge (ALTCHA, PBKDF2/SHA-256), valid 10 minutes; its solution is accepted once. The booking form solves it in the browser; with ALTCHA_API, POST /api/v1/bookings wants the solution as `X-Altcha`.',
  })
  @ApiOkResponse({
    description: 'The challenge, as the ALTCHA widget and altcha-lib read it (its format is altcha-lib’s)',
    schema: { type: 'object', additionalProperties: true },
  })
  challenge(): Promise<unknown> {
    return this.altcha.challenge();
  }
}
