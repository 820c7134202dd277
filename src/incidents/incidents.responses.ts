import { ApiProperty } from '@nestjs/swagger';

export class IncidentViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'united-internet' }) family: string;
  @ApiProperty() reason: string;
  @ApiProperty({ format: 'date-time' }) declaredAt: string;
  @ApiProperty() declaredBy: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt: string | null;
  @ApiProperty({ type: String, nullable: true }) endedBy: string | null;
  @ApiProperty({ type: String, nullable: true }) endReason: string | null;
}

export class DeclaredIncidentDto extends IncidentViewDto {
  @ApiProperty({ description: 'Mail in the relay for the family, now treated as undelivered (its holds follow)' })
  mailsTreatedAsUndelivered: number;
}

export class EndedIncidentDto extends IncidentViewDto {
  @ApiProperty({ description: 'Confirmations sent again to the family' }) mailsResent: number;
}

export class HoldExtensionDto {
  @ApiProperty({ format: 'uuid' }) incidentId: string;
  @ApiProperty() family: string;
  @ApiProperty({ description: 'Pending bookings of the family that get (or would get) the goodwill' }) bookings: number;
  @ApiProperty({ description: 'Of them: capped at their slot’s start minus CONFIRM_CUTOFF_MINUTES' }) cappedAtSlotStart: number;
  @ApiProperty({ format: 'date-time' }) until: string;
  @ApiProperty({ description: 'true: counted only, nothing changed' }) dryRun: boolean;
}
