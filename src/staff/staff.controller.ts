import { Body, Controller, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsNumberString,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { AuditService } from '../audit/audit.service';
import { TransactionRunner } from '../database/transaction-runner';
import { generatePassword } from './passwords';
import { RequireRole, STAFF_ROLES } from './roles';
import type { StaffRole } from './roles';
import { StaffGuard, StaffRequest } from './staff.guard';
import { StaffService } from './staff.service';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class LoginDto {
  @ApiProperty() @Transform(trim) @IsString() @MaxLength(254) @IsEmail() email: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) password: string;
}

export class CreateStaffDto {
  @ApiProperty() @Transform(trim) @IsString() @MaxLength(254) @IsEmail() email: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trim) @IsString() @MinLength(1) @MaxLength(200) displayName?: string;
  @ApiProperty({ enum: STAFF_ROLES }) @IsIn(STAFF_ROLES) role: StaffRole;
  @ApiPropertyOptional({ description: 'At least 12 characters; generated and returned once when omitted' })
  @IsOptional()
  @IsString()
  @MinLength(12)
  @MaxLength(200)
  password?: string;
}

export class AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() bookingId?: string;
  @ApiPropertyOptional({ default: 50 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'Cursor: entries with a smaller id' })
  @IsOptional()
  @IsNumberString({ no_symbols: true })
  @MaxLength(18)
  before?: string;
}

@ApiTags('staff')
@Controller('api/v1')
@UseGuards(StaffGuard)
export class StaffController {
  constructor(
    private readonly staff: StaffService,
    private readonly audit: AuditService,
    private readonly tx: TransactionRunner,
  ) {}

  @Post('auth/login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Staff login; returns a bearer token' })
  @ApiOkResponse({ description: '{ token, expiresAt, staff: { id, email, displayName, role } }' })
  @ApiUnauthorizedResponse({ description: 'LOGIN_FAILED' })
  login(@Body() dto: LoginDto) {
    return this.staff.login(dto.email, dto.password);
  }

  @Get('auth/me')
  @RequireRole('clerk')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The logged-in staff member' })
  me(@Req() req: StaffRequest) {
    return req.staff;
  }

  @Post('staff/users')
  @RequireRole('admin')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create a staff account (admin); audited' })
  @ApiCreatedResponse({ description: 'The account, and the generated password once when none was given' })
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
  auditLog(@Query() q: AuditQueryDto) {
    return this.audit.list(this.tx.manager, { bookingId: q.bookingId, limit: q.limit ?? 50, before: q.before });
  }
}
