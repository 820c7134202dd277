import { Module } from '@nestjs/common';
import { BookingNotices } from './booking-notices.service';
import { ReminderService } from './reminder.service';
import { DELIVERY_LISTENER } from '../outbox/delivery-listener';
import { OutboxModule } from '../outbox/outbox.module';
import { BookingDeliveryListener } from './booking-delivery-listener';
import { BookingsRepository } from './bookings.repository';
import { HoldService } from './hold.service';
import { SmsFallbackService } from './sms-fallback.service';

/**
 * The bookings table group and the holds that follow the mail. Also the implementation of the
 * delivery side's DeliveryListener port, which is why it depends on nothing of the mail side:
 * the app passes this module to the delivery modules that announce changes.
 */
@Module({
  imports: [OutboxModule],
  providers: [
    BookingsRepository,
    HoldService,
    SmsFallbackService,
    BookingNotices,
    ReminderService,
    BookingDeliveryListener,
    { provide: DELIVERY_LISTENER, useExisting: BookingDeliveryListener },
  ],
  exports: [BookingsRepository, HoldService, SmsFallbackService, BookingNotices, ReminderService, DELIVERY_LISTENER],
})
export class HoldsModule {}
