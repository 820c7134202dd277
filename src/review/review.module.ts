import { Module } from '@nestjs/common';
import { BookingsModule } from '../bookings/bookings.module';
import { StaffModule } from '../staff/staff.module';
import { ReviewController } from './review.controller';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';

@Module({
  imports: [BookingsModule, StaffModule],
  controllers: [ReviewController],
  providers: [ReviewRepository, ReviewService],
})
export class ReviewModule {}
