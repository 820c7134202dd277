import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BookingsModule } from '../bookings/bookings.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { StaffModule } from '../staff/staff.module';
import { ClosuresService } from './closures.service';
import { OfficesController } from './offices.controller';
import { OfficeAdminController } from './office-admin.controller';
import { OfficeAdminService } from './office-admin.service';

/** How an office runs, administered: offices, services, offerings, hours and closures with their dry runs and notices (on top of scheduling and bookings). */
@Module({
  imports: [SchedulingModule, BookingsModule, StaffModule, AuditModule],
  controllers: [OfficesController, OfficeAdminController],
  providers: [ClosuresService, OfficeAdminService],
  exports: [ClosuresService, OfficeAdminService],
})
export class OfficesModule {}
