import { Module } from '@nestjs/common';
import { DemoSeedService } from './demo-seed.service';
import { SchedulingController } from './scheduling.controller';
import { SchedulingRepository } from './scheduling.repository';
import { SchedulingService } from './scheduling.service';
import { SlotHorizonService } from './slot-horizon.service';

@Module({
  controllers: [SchedulingController],
  providers: [SchedulingRepository, SchedulingService, DemoSeedService, SlotHorizonService],
  exports: [SchedulingService, SchedulingRepository, DemoSeedService, SlotHorizonService],
})
export class SchedulingModule {}
