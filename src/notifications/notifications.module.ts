import { DynamicModule, Module } from '@nestjs/common';
import { DispatcherService } from './dispatcher.service';
import { DEV_SMTP_URL, MailTransport } from './mail-transport';
import { OutboxRepository } from './outbox.repository';
import { SmsGateway } from '../sms/sms-gateway';
import { SmsFallbackService } from '../sms/sms-fallback.service';
import { EmailChannel, SmsChannel } from './channel';

@Module({})
export class NotificationsModule {
  static forRoot(devSmtpUrl: string | null): DynamicModule {
    return {
      module: NotificationsModule,
      global: true,
      providers: [
        { provide: DEV_SMTP_URL, useValue: devSmtpUrl },
        OutboxRepository,
        MailTransport,
        EmailChannel,
        SmsChannel,
        DispatcherService,
        SmsGateway,
        SmsFallbackService,
      ],
      exports: [OutboxRepository, DispatcherService, MailTransport, SmsGateway, SmsFallbackService],
    };
  }
}
