import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { StaffController } from './staff.controller';
import { StaffGuard } from './staff.guard';
import { StaffRepository } from './staff.repository';
import { StaffService } from './staff.service';

@Module({
  imports: [AuditModule],
  controllers: [StaffController],
  providers: [StaffRepository, StaffService, StaffGuard],
  exports: [StaffService, StaffGuard],
})
export class StaffModule {}
