import { AuditEntryDto, CreatedStaffDto, LoginResultDto, StaffPrincipalDto } from './staff.responses';
import { RateLimited } from '../common/rate-limit';
import { Body, Controller, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';

import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service';

import { TransactionRunner } from '../database/transaction-runner';

import { generatePassword } from './passwords';

import { RequireRole } from './roles';
import { StaffGuard, StaffRequest } from './staff.guard';

import { StaffService } from './staff.service';

import { LoginDto, CreateStaffDto, AuditQueryDto } from './staff.dto';

@ApiTags('staff')
@Controller('api/v1')
@UseGuards(StaffGuard)
export class StaffController {
  constructor(
    private readonly staff: StaffService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
  ) {}

  @RateLimited('login')
  @Post('auth/login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Staff login; returns a bearer token' })
  @ApiOkResponse({ type: LoginResultDto })
  @ApiUnauthorizedResponse({ description: 'LOGIN_FAILED' })
  @ApiTooManyRequestsResponse({
    description: 'LOGIN_THROTTLED (Retry-After): too many failures from this address, or for this account',
  })
  login(@Body() dto: LoginDto, @Req() req: { ip?: string }) {
    // The client's address as the reverse proxy reports it (TRUST_PROXY).
    return this.staff.login(dto.email, dto.password, req.ip ?? 'unknown');
  }

  @Get('auth/me')
  @RequireRole('clerk')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The logged-in staff member' })
  @ApiOkResponse({ type: StaffPrincipalDto })
  me(@Req() req: StaffRequest) {
    return req.staff;
  }

  @Post('staff/users')
  @RequireRole('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create a staff account (admin); audited' })
  @ApiCreatedResponse({ type: CreatedStaffDto, description: 'The account, and the generated password once when none was given' })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  async createStaff(@Body() dto: CreateStaffDto, @Req() req: StaffRequest) {
    const password = dto.password ?? generatePassword();
    const created = await this.staff.create({ ...dto, password }, { id: req.staff!.id, label: req.staff!.email });
    return { ...created, ...(dto.password ? {} : { generatedPassword: password }) };
  }

  @Get('audit')
  @RequireRole('supervisor')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The audit log, newest first (supervisor)' })
  @ApiOkResponse({ type: [AuditEntryDto], description: 'Newest first' })
  auditLog(@Query() query: AuditQueryDto) {
    return this.audit.list(this.tx.manager, { bookingId: query.bookingId, limit: query.limit ?? 50, before: query.before });
  }
}
