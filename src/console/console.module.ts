import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { StaffModule } from '../staff/staff.module';
import { ConsoleAuthController } from './console-auth.controller';
import { ConsoleGuard } from './console.guard';

/**
 * The staff console under /verwaltung: server-rendered pages (KERN UX, German and English) over
 * the same services as the staff API. Sign-in by cookie session; every page checks the role.
 */
@Module({
  imports: [StaffModule, AuditModule],
  controllers: [ConsoleAuthController],
  providers: [ConsoleGuard],
})
export class ConsoleModule {}
