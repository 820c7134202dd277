import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ProviderCircuitsModule } from './provider-circuits.module';
import { ProvidersService } from './providers.service';
import { RelayStatusModule } from './relay-status.module';

/** The providers view and the manual pause, for the API and the console alike. */
@Module({
  imports: [ProviderCircuitsModule, RelayStatusModule, OutboxModule, AuditModule],
  providers: [ProvidersService],
  exports: [ProvidersService],
})
export class ProvidersModule {}
