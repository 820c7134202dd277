import { Module } from '@nestjs/common';
import { BookingsModule } from '../bookings/bookings.module';
import { BotCheckModule } from '../bot-check/bot-check.module';
import { ConfirmationsModule } from '../confirmations/confirmations.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { CitizenPagesController } from './citizen-pages.controller';

/** The citizens' web pages (server-rendered, KERN UX): the top of the citizen side, over scheduling, bookings and confirmations. */
@Module({
  imports: [SchedulingModule, BookingsModule, ConfirmationsModule, BotCheckModule],
  controllers: [CitizenPagesController],
})
export class PagesModule {}
