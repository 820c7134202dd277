import { DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MxResolver, ProviderFamilyResolver, systemMxResolver } from './provider-families';
import { ProviderCircuitsRepository } from './provider-circuits.repository';
import { ProviderCircuitsService } from './provider-circuits.service';
import { ProvidersController } from './providers.controller';
import { BounceListenerService } from './bounce-listener.service';
import { DeliveryReportsService } from './delivery-reports.service';
import { MailEventsController, WebhookSignatureGuard } from './mail-events.controller';
import { ProvidersService } from './providers.service';
import { StaffModule } from '../staff/staff.module';

import { MX_RESOLVER } from './mx-resolver.token';

export { MX_RESOLVER };

/** A resolver that knows no MX: the development catcher needs no DNS. */
const noMxResolver: MxResolver = { resolveMx: async () => [] };

@Module({})
export class MailDeliveryModule {
  static forRoot(mxResolver?: MxResolver): DynamicModule {
    return {
      module: MailDeliveryModule,
      global: true,
      imports: [StaffModule],
      controllers: [ProvidersController, MailEventsController],
      providers: [
        ProvidersService,
        DeliveryReportsService,
        BounceListenerService,
        WebhookSignatureGuard,
        {
          provide: MX_RESOLVER,
          inject: [APP_CONFIG],
          useFactory: (c: AppConfig) => mxResolver ?? (c.mxLookup ? systemMxResolver : noMxResolver),
        },
        {
          provide: ProviderFamilyResolver,
          inject: [APP_CONFIG, MX_RESOLVER],
          useFactory: (c: AppConfig, resolver: MxResolver) =>
            new ProviderFamilyResolver({ resolver, overrides: c.providerFamilyOverrides }),
        },
        ProviderCircuitsRepository,
        ProviderCircuitsService,
      ],
      exports: [
        MX_RESOLVER,
        ProviderFamilyResolver,
        ProviderCircuitsRepository,
        ProviderCircuitsService,
        DeliveryReportsService,
        BounceListenerService,
      ],
    };
  }
}
