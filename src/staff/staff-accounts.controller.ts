import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { uuidParam } from '../common/uuid.pipe';
import { RequireRole } from './roles';
import {
  LoggedOutDto,
  NewPasswordDto,
  SessionEndedDto,
  SessionsEndedDto,
  SessionsQueryDto,
  SsoUnboundDto,
  StaffAccountDto,
  StaffSessionDto,
  UpdateStaffDto,
} from './staff-accounts.dto';
import { StaffGuard, StaffRequest } from './staff.guard';
import { StaffService } from './staff.service';

const actor = (req: StaffRequest) => ({ id: req.staff!.id, label: req.staff!.email });

/** Sign-out, and the admin's accounts and sessions: list, change, deactivate, reset, unbind, revoke. */
@ApiTags('staff')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(StaffGuard)
export class StaffAccountsController {
  constructor(private readonly staff: StaffService) {}

  @Post('auth/logout')
  @RequireRole('clerk')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ends the session of this bearer token' })
  @ApiOkResponse({ type: LoggedOutDto })
  async logout(@Req() req: StaffRequest): Promise<LoggedOutDto> {
    const token = /^Bearer (.+)$/.exec(String(req.headers['authorization']))![1];
    await this.staff.signOut(token);
    return { loggedOut: true };
  }

  @Get('staff/users')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Staff accounts (admin), active first' })
  @ApiOkResponse({ type: [StaffAccountDto] })
  @ApiForbiddenResponse({ description: 'FORBIDDEN' })
  users() {
    return this.staff.accounts();
  }

  @Patch('staff/users/:id')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Role and offices of an account (admin); audited' })
  @ApiOkResponse({ type: StaffAccountDto })
  @ApiNotFoundResponse({ description: 'STAFF_NOT_FOUND' })
  @ApiConflictResponse({ description: 'STAFF_SELF_CHANGE: an admin cannot demote their own account' })
  update(@Param('id', uuidParam()) id: string, @Body() dto: UpdateStaffDto, @Req() req: StaffRequest) {
    return this.staff.update(id, { role: dto.role, locationIds: dto.locationIds ?? [] }, actor(req));
  }

  @Post('staff/users/:id/deactivate')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Deactivates an account (admin): no sign-in, every session ends; audited' })
  @ApiOkResponse({ type: SessionsEndedDto })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION (already), STAFF_SELF_CHANGE' })
  deactivate(@Param('id', uuidParam()) id: string, @Req() req: StaffRequest) {
    return this.staff.deactivate(id, actor(req));
  }

  @Post('staff/users/:id/password')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new generated password (admin), returned once; the account’s sessions end; audited' })
  @ApiOkResponse({ type: NewPasswordDto })
  resetPassword(@Param('id', uuidParam()) id: string, @Req() req: StaffRequest) {
    return this.staff.resetPassword(id, actor(req));
  }

  @Post('staff/users/:id/sso-unbind')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Removes the account’s binding to a person at the OpenID provider (admin): its next single sign-on binds it again by its verified address; audited',
  })
  @ApiOkResponse({ type: SsoUnboundDto })
  @ApiNotFoundResponse({ description: 'STAFF_NOT_FOUND' })
  @ApiConflictResponse({ description: 'INVALID_TRANSITION: not bound' })
  unbindSso(@Param('id', uuidParam()) id: string, @Req() req: StaffRequest): Promise<SsoUnboundDto> {
    return this.staff.unbindSso({ id }, actor(req));
  }

  @Get('staff/sessions')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Running staff sessions, cookie and bearer (admin); no token is shown' })
  @ApiOkResponse({ type: [StaffSessionDto] })
  sessions(@Query() query: SessionsQueryDto) {
    return this.staff.sessions(query.staffUserId);
  }

  @Delete('staff/sessions/:id')
  @RequireRole('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ends a session (admin); audited' })
  @ApiOkResponse({ type: SessionEndedDto })
  @ApiNotFoundResponse({ description: 'SESSION_NOT_FOUND' })
  async revoke(@Param('id', uuidParam()) id: string, @Req() req: StaffRequest): Promise<SessionEndedDto> {
    await this.staff.revokeSession(id, actor(req));
    return { id, ended: true };
  }
}
