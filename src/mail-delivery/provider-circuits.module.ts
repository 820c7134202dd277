import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { ProviderCircuitsRepository } from './provider-circuits.repository';
import { ProviderCircuitsService } from './provider-circuits.service';

/** The circuit of each provider family (shared by every instance through PostgreSQL). */
@Module({
  imports: [OutboxModule],
  providers: [ProviderCircuitsRepository, ProviderCircuitsService],
  exports: [ProviderCircuitsRepository, ProviderCircuitsService],
})
export class ProviderCircuitsModule {}
