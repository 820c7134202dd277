import { AuditEntryEntity } from '../audit/audit-entry.entity';
import {
  BookingEntity,
  ConfirmationCodeEntity,
  ConfirmationTokenEntity,
  IdempotencyKeyEntity,
  IncidentEntity,
} from '../bookings/booking.entity';
import { DeliveryEventEntity, ProviderCircuitEntity } from '../mail-delivery/mail-delivery.entities';
import { MailAttemptEntity, OutboxMessageEntity } from '../notifications/outbox.entities';
import { LocationEntity, OpeningHoursEntity, ServiceEntity, SlotEntity } from '../scheduling/scheduling.entities';
import { StaffSessionEntity, StaffUserEntity } from '../staff/staff.entities';

export const ENTITIES = [
  LocationEntity,
  ServiceEntity,
  OpeningHoursEntity,
  SlotEntity,
  BookingEntity,
  IdempotencyKeyEntity,
  ConfirmationTokenEntity,
  OutboxMessageEntity,
  MailAttemptEntity,
  StaffUserEntity,
  StaffSessionEntity,
  AuditEntryEntity,
  ProviderCircuitEntity,
  DeliveryEventEntity,
  ConfirmationCodeEntity,
  IncidentEntity,
];
