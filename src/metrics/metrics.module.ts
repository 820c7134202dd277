import { Module } from '@nestjs/common';
import { HoldsModule } from '../bookings/holds.module';
import { ProviderCircuitsModule } from '../mail-delivery/provider-circuits.module';
import { OutboxModule } from '../outbox/outbox.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** GET /metrics: Prometheus figures of the installation and of this instance. */
@Module({
  imports: [OutboxModule, ProviderCircuitsModule, HoldsModule],
  controllers: [MetricsController],
  providers: [MetricsService],
})
export class MetricsModule {}
