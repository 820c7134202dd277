import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BookingsModule } from '../bookings/bookings.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { StaffModule } from '../staff/staff.module';
import { CounterController } from './counter.controller';
import { CounterDayService } from './counter-day.service';

/** The day at the counter (clerks): the day list, check-in, served, no-show, walk-ins; on top of bookings. */
@Module({
  imports: [BookingsModule, SchedulingModule, StaffModule, AuditModule],
  controllers: [CounterController],
  providers: [CounterDayService],
  exports: [CounterDayService],
})
export class CounterModule {}
