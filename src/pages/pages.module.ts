import { Module } from '@nestjs/common';
import { BookingsModule } from '../bookings/bookings.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { CitizenPagesController } from './citizen-pages.controller';

/** The citizens' web pages (server-rendered, KERN UX): a feature on top of scheduling and bookings. */
@Module({
  imports: [SchedulingModule, BookingsModule],
  controllers: [CitizenPagesController],
})
export class PagesModule {}
