import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ProviderCircuitsModule } from '../mail-delivery/provider-circuits.module';
import { MxResolver, ProviderFamilyResolver, systemMxResolver } from '../mail-delivery/provider-families';
import { MX_RESOLVER } from '../mail-delivery/mx-resolver.token';
import { RelayStatusModule } from '../mail-delivery/relay-status.module';
import { DeliveryListenerModule } from '../outbox/delivery-listener';
import { OutboxModule } from '../outbox/outbox.module';
import { SmsGateway } from '../sms/sms-gateway';
import { EmailChannel, SmsChannel } from './channel';
import { DispatcherService } from './dispatcher.service';
import { DEV_SMTP_URL, MailTransport } from './mail-transport';

/** A resolver that knows no MX: the development catcher needs no DNS. */
const noMxResolver: MxResolver = { resolveMx: async () => [] };

/** Sending: the dispatcher, its channels (e-mail over SMTP, SMS over the gateway) and the family resolver. */
@Module({})
export class NotificationsModule {
  static register(options: {
    devSmtpUrl: string | null;
    mxResolver?: MxResolver;
    deliveryListener: DeliveryListenerModule;
  }): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [OutboxModule, ProviderCircuitsModule, RelayStatusModule, options.deliveryListener],
      providers: [
        { provide: DEV_SMTP_URL, useValue: options.devSmtpUrl },
        {
          provide: MX_RESOLVER,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => options.mxResolver ?? (c.mxLookup ? systemMxResolver : noMxResolver),
        },
        {
          provide: ProviderFamilyResolver,
          inject: [APP_CONFIG, MX_RESOLVER],
          useFactory: (c: AppConfig, resolver: MxResolver) =>
            new ProviderFamilyResolver({ resolver, overrides: c.providerFamilyOverrides }),
        },
        MailTransport,
        EmailChannel,
        SmsChannel,
        SmsGateway,
        DispatcherService,
      ],
      exports: [DispatcherService, MailTransport],
    };
  }
}
