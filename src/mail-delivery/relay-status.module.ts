import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { RelayStatusService } from './relay-status.service';

/** What we know about our relay (its EHLO, its reports), shared by the sender and the providers view. */
@Module({
  imports: [OutboxModule],
  providers: [RelayStatusService],
  exports: [RelayStatusService],
})
export class RelayStatusModule {}
