import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InstallationRepository } from '../database/installation.repository';
import { TransactionRunner } from '../database/transaction-runner';
import { Clock } from './clock';
import { Lifecycle } from './lifecycle';
import { Metrics } from './metrics';
import { CLOCK_GUARD_ENABLED, ClockGuard } from './clock-guard.service';
import { SecretsService } from './secrets.service';

/**
 * Infrastructure every module needs and none owns: configuration, the clock (and its guard), the
 * transaction runner, the installation's secrets, the process's lifecycle (draining after SIGTERM) and its metrics registry. The one global module; it holds no feature.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, clock: Clock, options: { clockGuard: boolean }): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
        { provide: CLOCK_GUARD_ENABLED, useValue: options.clockGuard },
        TransactionRunner,
        InstallationRepository,
        SecretsService,
        ClockGuard,
        Lifecycle,
        Metrics,
      ],
      exports: [APP_CONFIG, Clock, TransactionRunner, SecretsService, ClockGuard, Lifecycle, Metrics],
    };
  }
}
