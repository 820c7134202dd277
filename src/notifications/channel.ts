import { Injectable } from '@nestjs/common';
import { SmsGateway, SmsGatewayError } from '../sms/sms-gateway';
import { MailTransport } from './mail-transport';
import type { ClaimedMessage } from '../outbox/outbox.repository';
import { classifySendError, SendVerdict } from './send-outcome';

export interface Acceptance {
  replyCode: number | null;
  reply: string;
  acceptedBy: 'relay' | 'mx' | 'sms_gateway';
  /** The server announced DSN and was asked for success reports (our relay only). */
  reportsRequested: boolean;
}

/** One way to reach a citizen. The dispatcher needs nothing else of it. */
export interface NotificationChannel {
  /** Hands the message over; throws when it was refused or could not be handed over. */
  send(message: ClaimedMessage): Promise<Acceptance>;
  /** What a refusal means: temporary or not, and its category. */
  classify(err: unknown): SendVerdict;
}

@Injectable()
export class EmailChannel implements NotificationChannel {
  constructor(private readonly transport: MailTransport) {}

  send(message: ClaimedMessage): Promise<Acceptance> {
    return this.transport.send({ ...message.payload, to: message.recipient, messageId: message.messageId, outboxId: message.id });
  }

  classify(err: unknown): SendVerdict {
    return classifySendError(err);
  }
}

@Injectable()
export class SmsChannel implements NotificationChannel {
  constructor(private readonly gateway: SmsGateway) {}

  async send(message: ClaimedMessage): Promise<Acceptance> {
    const sent = await this.gateway.send({ to: message.recipient, text: message.payload.text, reference: message.id });
    return {
      replyCode: sent.status,
      reply: `accepted by the SMS gateway${sent.id ? ` as ${sent.id}` : ''}`,
      acceptedBy: 'sms_gateway',
      reportsRequested: false,
    };
  }

  classify(err: unknown): SendVerdict {
    const temporary = err instanceof SmsGatewayError ? err.temporary : true;
    return {
      temporary,
      category: temporary ? 'unknown_temporary' : 'unknown_permanent',
      replyCode: err instanceof SmsGatewayError ? err.status : null,
      reply: (err as Error).message,
      errorCode: null,
    };
  }
}
