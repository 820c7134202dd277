import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { InstallationRepository } from '../database/installation.repository';
import { TransactionRunner } from '../database/transaction-runner';
import { Clock } from './clock';
import { SecretsService } from './secrets.service';

/**
 * Infrastructure every module needs and none owns: configuration, the clock, the transaction
 * runner and the installation's secrets. The one global module; it holds no feature.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, clock: Clock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: Clock, useValue: clock },
        TransactionRunner,
        InstallationRepository,
        SecretsService,
      ],
      exports: [APP_CONFIG, Clock, TransactionRunner, SecretsService],
    };
  }
}
