import { AuditEntryEntity } from './audit/audit-entry.entity';
import { AltchaSolutionEntity } from './bot-check/altcha-solution.entity';
import { BookingEntity } from './bookings/booking.entity';
import { ConfirmationCodeEntity } from './bookings/confirmation-code.entity';
import { ConfirmationTokenEntity } from './bookings/confirmation-token.entity';
import { IdempotencyKeyEntity } from './bookings/idempotency-key.entity';
import { IncidentEntity } from './incidents/incident.entity';
import { ProviderCircuitEntity } from './mail-delivery/provider-circuit.entity';
import { DeliveryEventEntity } from './outbox/delivery-event.entity';
import { MailAttemptEntity } from './outbox/mail-attempt.entity';
import { OutboxMessageEntity } from './outbox/outbox-message.entity';
import { ReportReceiptEntity } from './outbox/report-receipt.entity';
import { LocationEntity } from './scheduling/location.entity';
import { OpeningHoursEntity } from './scheduling/opening-hours.entity';
import { ServiceEntity } from './scheduling/service.entity';
import { SlotEntity } from './scheduling/slot.entity';
import { CounterUnitEntity } from './scheduling/counter-unit.entity';
import { ClosureEntity } from './scheduling/closure.entity';
import { OfferingEntity } from './scheduling/offering.entity';
import { StaffSessionEntity } from './staff/staff-session.entity';
import { StaffLoginFailureEntity } from './staff/staff-login-failure.entity';
import { ConfirmationCodeFailureEntity } from './bookings/confirmation-code-failure.entity';
import { StaffUserEntity } from './staff/staff-user.entity';
import { StaffUserLocationEntity } from './staff/staff-user-location.entity';

/**
 * Every entity, for the composition root (the app's data source and `migration:generate`). The
 * migrations are the schema; entities name the same constraints so a generate shows real drift.
 */
export const APP_ENTITIES = [
  LocationEntity,
  ServiceEntity,
  OpeningHoursEntity,
  SlotEntity,
  CounterUnitEntity,
  ClosureEntity,
  OfferingEntity,
  BookingEntity,
  IdempotencyKeyEntity,
  ConfirmationTokenEntity,
  OutboxMessageEntity,
  MailAttemptEntity,
  StaffUserEntity,
  StaffUserLocationEntity,
  StaffSessionEntity,
  StaffLoginFailureEntity,
  AltchaSolutionEntity,
  ConfirmationCodeFailureEntity,
  AuditEntryEntity,
  ProviderCircuitEntity,
  DeliveryEventEntity,
  ReportReceiptEntity,
  ConfirmationCodeEntity,
  IncidentEntity,
];
