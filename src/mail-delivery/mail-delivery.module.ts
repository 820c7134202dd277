import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { DeliveryListenerModule } from '../outbox/delivery-listener';
import { OutboxModule } from '../outbox/outbox.module';
import { StaffModule } from '../staff/staff.module';
import { BounceListenerService } from './bounce-listener.service';
import { DeliveryReportsService } from './delivery-reports.service';
import { MailEventsController, WebhookSignatureGuard } from './mail-events.controller';
import { ProviderCircuitsModule } from './provider-circuits.module';
import { ProvidersController, RelayController } from './providers.controller';
import { ProvidersModule } from './providers.module';
import { RelayStatusModule } from './relay-status.module';

/** What happens to mail after a server took it (DSNs, webhooks), and the providers view. */
@Module({})
export class MailDeliveryModule {
  static register(options: { deliveryListener: DeliveryListenerModule }): DynamicModule {
    return {
      module: MailDeliveryModule,
      imports: [
        ProviderCircuitsModule,
        ProvidersModule,
        RelayStatusModule,
        OutboxModule,
        StaffModule,
        AuditModule,
        options.deliveryListener,
      ],
      controllers: [ProvidersController, RelayController, MailEventsController],
      providers: [DeliveryReportsService, BounceListenerService, WebhookSignatureGuard],
      exports: [DeliveryReportsService, BounceListenerService],
    };
  }
}
