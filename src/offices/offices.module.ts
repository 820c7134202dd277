import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BookingsModule } from '../bookings/bookings.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { StaffModule } from '../staff/staff.module';
import { ClosuresService } from './closures.service';
import { OfficesController } from './offices.controller';

/** How an office runs, administered: closures with their dry run and notices (on top of scheduling and bookings). */
@Module({
  imports: [SchedulingModule, BookingsModule, StaffModule, AuditModule],
  controllers: [OfficesController],
  providers: [ClosuresService],
  exports: [ClosuresService],
})
export class OfficesModule {}
