import { DynamicModule, Module } from '@nestjs/common';

import { TypeOrmModule } from '@nestjs/typeorm';

import { dataSourceOptions } from './database/data-source-options';
import { APP_ENTITIES } from './app.entities';

import { BookingsModule } from './bookings/bookings.module';

import { HoldsModule } from './bookings/holds.module';

import { Clock } from './common/clock';

import { CoreModule } from './common/core.module';

import { AppConfig } from './config/app-config';

import { ConfirmationsModule } from './confirmations/confirmations.module';
import { PagesModule } from './pages/pages.module';

import { DevMailCatcher } from './dev-mail/dev-mail-catcher';

import { DevMailModule } from './dev-mail/dev-mail.module';

import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';

import { MailDeliveryModule } from './mail-delivery/mail-delivery.module';

import { MxResolver } from './mail-delivery/provider-families';

import { NotificationsModule } from './notifications/notifications.module';

import { SchedulingModule } from './scheduling/scheduling.module';

import { StaffModule } from './staff/staff.module';

import { ReviewModule } from './review/review.module';
import { OfficesModule } from './offices/offices.module';
import { CounterModule } from './counter/counter.module';
import { StatsModule } from './stats/stats.module';
import { PrivacyModule } from './privacy/privacy.module';
import { ConsoleModule } from './console/console.module';

import { IncidentsModule } from './incidents/incidents.module';

import { SmsModule } from './sms/sms.module';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from './common/rate-limit';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  clock: Clock;
  /** Present when SMTP_URL is unset: the in-process catcher and its /dev routes. */
  devMail?: { catcher: DevMailCatcher; url: string };
  /** Tests point MX lookups at fake providers. */
  mxResolver?: MxResolver;
  /** Compare the app's clock with the database's (off where tests drive a clock of their own). */
  clockGuard?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    // The bookings side implements the delivery side's DeliveryListener; it is handed to each
    // delivery module here, so no delivery code imports booking code.
    const deliveryListener = HoldsModule;
    const notifications = NotificationsModule.register({
      devSmtpUrl: options.devMail?.url ?? null,
      mxResolver: options.mxResolver,
      deliveryListener,
    });
    return {
      module: AppModule,
      imports: [
        // Migrations ran before (migrateLocked); the app's own data source never migrates.
        TypeOrmModule.forRoot({
          ...dataSourceOptions(options.databaseUrl, {
            entities: APP_ENTITIES,
            timeouts: options.config.databaseTimeouts,
            poolSize: options.config.dbPoolSize,
          }),
          migrationsRun: false,
        }),
        CoreModule.forRoot(options.config, options.clock, { clockGuard: options.clockGuard ?? false }),
        MailDeliveryModule.register({ deliveryListener }),
        notifications,
        SmsModule.register({ deliveryListener }),
        SchedulingModule,
        BookingsModule,
        ConfirmationsModule,
        PagesModule,
        StaffModule,
        ReviewModule,
        OfficesModule,
        CounterModule,
        StatsModule,
        PrivacyModule,
        ConsoleModule,
        IncidentsModule,
        HealthModule.register(notifications),
        MetricsModule,
        ...(options.devMail ? [DevMailModule.forRoot(options.devMail.catcher)] : []),
      ],
      // Per-IP limits on the routes marked @RateLimited (common/rate-limit.ts).
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    };
  }
}
