import { Module } from '@nestjs/common';
import { SmsEventsController, SmsWebhookGuard } from './sms-events.controller';

@Module({ controllers: [SmsEventsController], providers: [SmsWebhookGuard] })
export class SmsModule {}
