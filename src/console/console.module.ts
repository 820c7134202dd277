import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { StaffModule } from '../staff/staff.module';
import { ConsoleAuthController } from './console-auth.controller';
import { ConsoleGuard } from './console.guard';
import { BookingSearch } from './booking-search.service';
import { OidcService } from './oidc.service';
import { ClerkPagesController } from './clerk-pages.controller';
import { CounterModule } from '../counter/counter.module';
import { ReviewModule } from '../review/review.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { HoldsModule } from '../bookings/holds.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { ProvidersModule } from '../mail-delivery/providers.module';
import { StatsModule } from '../stats/stats.module';
import { SupervisorPagesController } from './supervisor-pages.controller';
import { AdminPagesController } from './admin-pages.controller';
import { OfficesModule } from '../offices/offices.module';
import { PrivacyModule } from '../privacy/privacy.module';

/**
 * The staff console under /verwaltung: server-rendered pages (KERN UX, German and English) over
 * the same services as the staff API. Sign-in by cookie session; every page checks the role.
 */
@Module({
  imports: [
    StaffModule,
    AuditModule,
    CounterModule,
    ReviewModule,
    SchedulingModule,
    HoldsModule,
    IncidentsModule,
    StatsModule,
    ProvidersModule,
    OfficesModule,
    PrivacyModule,
  ],
  controllers: [ConsoleAuthController, ClerkPagesController, SupervisorPagesController, AdminPagesController],
  providers: [ConsoleGuard, BookingSearch, OidcService],
})
export class ConsoleModule {}
