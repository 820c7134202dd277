import { ApiProperty } from '@nestjs/swagger';
import { MessageViewDto } from '../outbox/message-view.responses';
import { BOOKING_STATUSES, EXPIRY_REASONS } from './booking-state';

/** OpenAPI shape of bookingView (booking-view.ts): what the holder of a booking sees. */
class BookedServiceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

class BookedOfficeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() address: string;
  @ApiProperty({ example: 'Europe/Berlin' }) timeZone: string;
}

class BookedSlotDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time', description: "In the office's time zone" }) startsAt: string;
  @ApiProperty({ format: 'date-time' }) endsAt: string;
  @ApiProperty({ type: BookedServiceDto }) service: BookedServiceDto;
  @ApiProperty({ type: BookedOfficeDto }) location: BookedOfficeDto;
}

class HoldExplanationDto {
  @ApiProperty({ description: 'The hold policy’s reason' }) reason: string;
  @ApiProperty({ description: 'Why the citizen waits, in words' }) explanation: string;
}

export class BookingViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'HF-7K3Q-9MPD' }) reference: string;
  @ApiProperty({ enum: BOOKING_STATUSES }) status: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Pending bookings only' }) holdUntil:
    string | null;
  @ApiProperty({
    type: 'object',
    nullable: true,
    description: 'Pending bookings only: why the citizen waits',
    properties: { reason: { type: 'string', description: 'The hold policy’s reason' }, explanation: { type: 'string' } },
    required: ['reason', 'explanation'],
  })
  hold: HoldExplanationDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) confirmedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) cancelledAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiredAt: string | null;
  @ApiProperty({ type: String, enum: [...EXPIRY_REASONS, null], nullable: true }) expiryReason: string | null;
  @ApiProperty() name: string;
  @ApiProperty() email: string;
  @ApiProperty({ type: String, nullable: true, example: '+491512345678' }) phone: string | null;
  @ApiProperty({ type: BookedSlotDto }) slot: BookedSlotDto;
  @ApiProperty({
    type: [MessageViewDto],
    description: 'Every message of the booking with its delivery state, attempts and reports',
  })
  messages: MessageViewDto[];
}
