import { Module } from '@nestjs/common';
import { OutboxRepository } from './outbox.repository';

/** The outbox table group (messages, attempts, delivery reports) and its one repository. */
@Module({ providers: [OutboxRepository], exports: [OutboxRepository] })
export class OutboxModule {}
