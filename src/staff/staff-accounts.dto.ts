import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsUUID } from 'class-validator';
import { STAFF_ROLES, type StaffRole } from './roles';

export class UpdateStaffDto {
  @ApiProperty({ enum: STAFF_ROLES }) @IsIn(STAFF_ROLES) role: StaffRole;
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Clerks only; empty: every office' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  locationIds?: string[];
}

export class SessionsQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() staffUserId?: string;
}

export class StaffSessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['bearer', 'cookie'] }) kind: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty() lastSeenAt: Date;
  @ApiProperty() expiresAt: Date;
  @ApiProperty({ format: 'uuid' }) staffUserId: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: STAFF_ROLES }) role: string;
}

export class StaffAccountDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: STAFF_ROLES }) role: string;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ nullable: true }) disabledAt: Date | null;
  @ApiPropertyOptional({ type: [String], nullable: true }) locationIds: string[] | null;
}

export class LoggedOutDto {
  @ApiProperty({ example: true }) loggedOut: boolean;
}

export class SessionsEndedDto {
  @ApiProperty({ description: 'How many sessions (cookie or bearer) ended' }) sessionsEnded: number;
}

export class NewPasswordDto extends SessionsEndedDto {
  @ApiProperty({ description: 'Shown once; never stored in clear' }) password: string;
}

export class SsoUnboundDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: true }) unbound: boolean;
}

export class SessionEndedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: true }) ended: boolean;
}
