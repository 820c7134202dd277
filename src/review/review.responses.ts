import { ApiProperty } from '@nestjs/swagger';
import { BOOKING_STATUSES, EXPIRY_REASONS } from '../bookings/booking-state';
import { BookingViewDto } from '../bookings/booking-view.responses';

class ReviewTrailEntryDto {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() actorLabel: string;
  @ApiProperty({ example: 'review.extend' }) action: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) before: unknown;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) after: unknown;
}

class CombinedServicesDto {
  @ApiProperty({ type: [String], format: 'uuid' }) serviceIds: string[];
  @ApiProperty() extraMinutes: number;
}

/** A booking as the review queue shows it, with its trail (every action answers with it). */
export class ReviewDetailDto extends BookingViewDto {
  @ApiProperty({ type: String, enum: ['open', 'closed', null], nullable: true }) reviewStatus: string | null;
  @ApiProperty({
    type: () => CombinedServicesDto,
    description: 'A combined appointment: the other services and the minutes they add (slot.endsAt includes them)',
  })
  combined: CombinedServicesDto;
  @ApiProperty({ type: [ReviewTrailEntryDto], description: 'The booking’s audit trail, oldest first' })
  audit: ReviewTrailEntryDto[];
}

class ReviewOfficeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

class ReviewMailDto {
  @ApiProperty({ type: String, nullable: true }) family: string | null;
  @ApiProperty({ type: String, nullable: true }) state: string | null;
  @ApiProperty({ type: String, nullable: true }) lastReplyCategory: string | null;
}

class ReviewItemDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() reference: string;
  @ApiProperty({ enum: BOOKING_STATUSES }) status: string;
  @ApiProperty({ type: String, enum: [...EXPIRY_REASONS, null], nullable: true }) expiryReason: string | null;
  @ApiProperty({ type: String, enum: ['open', 'closed', null], nullable: true }) reviewStatus: string | null;
  @ApiProperty() name: string;
  @ApiProperty() email: string;
  @ApiProperty({ type: String, nullable: true }) phone: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiredAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) holdUntil: string | null;
  @ApiProperty({ format: 'date-time' }) slotStartsAt: string;
  @ApiProperty({ type: ReviewOfficeDto }) location: ReviewOfficeDto;
  @ApiProperty() serviceName: string;
  @ApiProperty({ type: ReviewMailDto }) mail: ReviewMailDto;
}

export class ReviewQueueDto {
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
  @ApiProperty({ type: [ReviewItemDto] }) items: ReviewItemDto[];
}
