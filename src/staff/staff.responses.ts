import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STAFF_ROLES } from './roles';

export class StaffPrincipalDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ enum: STAFF_ROLES }) role: string;
  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    description: 'A clerk bound to offices acts only there; null: every office',
  })
  locationIds?: string[] | null;
}

export class LoginResultDto {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <token>`' }) token: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
  @ApiProperty({ type: StaffPrincipalDto }) staff: StaffPrincipalDto;
}

export class CreatedStaffDto extends StaffPrincipalDto {
  @ApiPropertyOptional({ description: 'Shown once, when no password was given' }) generatedPassword?: string;
}

export class AuditEntryDto {
  @ApiProperty({ description: 'Ascending; page with `before`' }) id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId: string | null;
  @ApiProperty({ example: 'clerk@stadt.example' }) actorLabel: string;
  @ApiProperty({ example: 'booking.confirmed_manually' }) action: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) bookingId: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'Values before (addresses and numbers as keyed hashes)',
  })
  before: unknown;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) after: unknown;
}
