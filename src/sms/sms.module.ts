import { DynamicModule, Module } from '@nestjs/common';
import { DeliveryListenerModule } from '../outbox/delivery-listener';
import { OutboxModule } from '../outbox/outbox.module';
import { SmsEventsController, SmsWebhookGuard } from './sms-events.controller';
import { SmsEventsService } from './sms-events.service';

/** The SMS gateway's delivery reports. */
@Module({})
export class SmsModule {
  static register(options: { deliveryListener: DeliveryListenerModule }): DynamicModule {
    return {
      module: SmsModule,
      imports: [OutboxModule, options.deliveryListener],
      controllers: [SmsEventsController],
      providers: [SmsEventsService, SmsWebhookGuard],
    };
  }
}
