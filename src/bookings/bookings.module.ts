import { Module } from '@nestjs/common';
import { BookingsController } from './bookings.controller';
import { BookingsRepository } from './bookings.repository';
import { BookingsService } from './bookings.service';
import { ExpirySweeperService } from './expiry-sweeper.service';

@Module({
  controllers: [BookingsController],
  providers: [BookingsRepository, BookingsService, ExpirySweeperService],
  exports: [BookingsRepository, BookingsService, ExpirySweeperService],
})
export class BookingsModule {}
