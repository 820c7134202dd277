import { ApiProperty } from '@nestjs/swagger';

class BookingFiguresDto {
  @ApiProperty({ description: 'Online bookings made in the period' }) made: number;
  @ApiProperty() walkIns: number;
  @ApiProperty() confirmed: number;
  @ApiProperty() expiredNotConfirmed: number;
  @ApiProperty() expiredMailUndelivered: number;
  @ApiProperty({ description: 'Confirmed although their mail was deferred, delayed or held on the way' }) rescued: number;
  @ApiProperty() cancelled: number;
  @ApiProperty() noShows: number;
}

class UtilisationDto {
  @ApiProperty() reservedUnits: number;
  @ApiProperty() capacityUnits: number;
  @ApiProperty({ type: Number, nullable: true, description: 'reserved / capacity, three decimals' }) share: number | null;
}

class MailFiguresDto {
  @ApiProperty({ example: 'united-internet' }) family: string;
  @ApiProperty() mails: number;
  @ApiProperty() accepted: number;
  @ApiProperty() deferred: number;
  @ApiProperty() held: number;
  @ApiProperty() bounced: number;
  @ApiProperty({ type: Number, nullable: true }) medianMinutesToDelivery: number | null;
}

export class StatsDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: all offices' }) locationId: string | null;
  @ApiProperty({ format: 'date' }) from: string;
  @ApiProperty({ format: 'date' }) to: string;
  @ApiProperty({ type: BookingFiguresDto }) bookings: BookingFiguresDto;
  @ApiProperty({ type: UtilisationDto }) utilisation: UtilisationDto;
  @ApiProperty({ type: [MailFiguresDto], description: 'Confirmation mail by provider family' }) mailByFamily: MailFiguresDto[];
}
