import { DynamicModule, Global, Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { HoldService } from '../bookings/hold.service';
import { ConfirmationIssuer } from '../bookings/confirmation-issuer.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { Clock } from './clock';
import { SecretsService } from './secrets.service';

/** What every feature module needs: configuration, the clock, transactions, secrets, audit. */
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
        SecretsService,
        AuditService,
        HoldService,
        ConfirmationIssuer,
      ],
      exports: [APP_CONFIG, Clock, TransactionRunner, SecretsService, AuditService, HoldService, ConfirmationIssuer],
    };
  }
}
