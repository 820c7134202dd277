import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { StaffAccountsController } from './staff-accounts.controller';
import { StaffController } from './staff.controller';
import { StaffGuard } from './staff.guard';
import { StaffRepository } from './staff.repository';
import { StaffService } from './staff.service';

@Module({
  imports: [AuditModule],
  controllers: [StaffController, StaffAccountsController],
  providers: [StaffRepository, StaffService, StaffGuard],
  exports: [StaffService, StaffGuard],
})
export class StaffModule {}
