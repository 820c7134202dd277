import { SchedulingModule } from '../scheduling/scheduling.module';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BotCheckModule } from '../bot-check/bot-check.module';
import { ProviderCircuitsModule } from '../mail-delivery/provider-circuits.module';
import { OutboxModule } from '../outbox/outbox.module';
import { BookingsController } from './bookings.controller';
import { BookingsService } from './bookings.service';
import { ConfirmationIssuer } from './confirmation-issuer.service';
import { ExpirySweeperService } from './expiry-sweeper.service';
import { HoldsModule } from './holds.module';

@Module({
  imports: [HoldsModule, OutboxModule, ProviderCircuitsModule, AuditModule, BotCheckModule, SchedulingModule],
  controllers: [BookingsController],
  providers: [BookingsService, ExpirySweeperService, ConfirmationIssuer],
  exports: [HoldsModule, BookingsService, ExpirySweeperService, ConfirmationIssuer],
})
export class BookingsModule {}
