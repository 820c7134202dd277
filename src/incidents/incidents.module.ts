import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { HoldsModule } from '../bookings/holds.module';
import { ProviderCircuitsModule } from '../mail-delivery/provider-circuits.module';
import { OutboxModule } from '../outbox/outbox.module';
import { StaffModule } from '../staff/staff.module';
import { IncidentsController } from './incidents.controller';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';

@Module({
  imports: [HoldsModule, OutboxModule, ProviderCircuitsModule, StaffModule, AuditModule],
  controllers: [IncidentsController],
  providers: [IncidentsRepository, IncidentsService],
  exports: [IncidentsService],
})
export class IncidentsModule {}
