import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { HoldsModule } from '../bookings/holds.module';
import { OutboxModule } from '../outbox/outbox.module';
import { StaffModule } from '../staff/staff.module';
import { PrivacyController } from './privacy.controller';
import { PrivacyService } from './privacy.service';
import { RetentionService } from './retention.service';

/** Data protection: the retention job, and the admin's export and early erasure of an address. */
@Module({
  imports: [HoldsModule, OutboxModule, AuditModule, StaffModule],
  controllers: [PrivacyController],
  providers: [RetentionService, PrivacyService],
  exports: [RetentionService, PrivacyService],
})
export class PrivacyModule {}
