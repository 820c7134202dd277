import { Module } from '@nestjs/common';
import { DemoSeedService } from './demo-seed.service';
import { SchedulingController } from './scheduling.controller';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';

@Module({
  controllers: [SchedulingController],
  providers: [SchedulingRepository, SchedulingService, DemoSeedService],
  exports: [SchedulingService, DemoSeedService],
})
export class SchedulingModule {}
