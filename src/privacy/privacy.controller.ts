import { PrivacyEraseResultDto, PrivacyExportResultDto } from './privacy.responses';
import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequireRole } from '../staff/roles';
import { StaffGuard, StaffRequest } from '../staff/staff.guard';
import { PrivacyEraseDto, PrivacyExportDto } from './privacy.dto';
import { PrivacyService } from './privacy.service';

/** Data subjects' requests (admin): the address goes in the body, never into a URL or an access log. */
@ApiTags('privacy')
@ApiBearerAuth()
@Controller('api/v1/privacy')
@UseGuards(StaffGuard)
@RequireRole('admin')
export class PrivacyController {
  constructor(private readonly privacy: PrivacyService) {}

  @Post('export')
  @HttpCode(200)
  @ApiOperation({ summary: 'Everything held about an e-mail address, as JSON (admin); audited' })
  @ApiOkResponse({ type: PrivacyExportResultDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  export(@Body() dto: PrivacyExportDto, @Req() req: StaffRequest) {
    return this.privacy.export(dto.email, { id: req.staff!.id, label: req.staff!.email });
  }

  @Post('erase')
  @HttpCode(200)
  @ApiOperation({ summary: 'Anonymise an e-mail address’s bookings, mail and audit values now (admin); audited' })
  @ApiOkResponse({ type: PrivacyEraseResultDto, description: 'What was anonymised' })
  @ApiConflictResponse({ description: 'PRIVACY_ACTIVE_BOOKING: a booking still ahead; cancel it first' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  erase(@Body() dto: PrivacyEraseDto, @Req() req: StaffRequest) {
    return this.privacy.erase(dto.email, dto.reason, { id: req.staff!.id, label: req.staff!.email });
  }
}
