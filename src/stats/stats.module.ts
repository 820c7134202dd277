import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BookingsModule } from '../bookings/bookings.module';
import { OutboxModule } from '../outbox/outbox.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { StaffModule } from '../staff/staff.module';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** Supervisors' statistics: read-only aggregates over bookings, counters and mail. */
@Module({
  imports: [BookingsModule, OutboxModule, SchedulingModule, StaffModule, AuditModule],
  controllers: [StatsController],
  providers: [StatsService],
  exports: [StatsService],
})
export class StatsModule {}
