import { Module } from '@nestjs/common';
import { StaffModule } from '../staff/staff.module';
import { IncidentsController } from './incidents.controller';
import { IncidentsService } from './incidents.service';

@Module({ imports: [StaffModule], controllers: [IncidentsController], providers: [IncidentsService] })
export class IncidentsModule {}
