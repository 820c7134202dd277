import { Injectable } from '@nestjs/common';
import { fillSecrets, SecretSlots } from '../common/message-secrets';
import { SecretsService } from '../common/secrets.service';
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
  constructor(
    private readonly transport: MailTransport,
    private readonly secrets: SecretsService,
  ) {}

  send(message: ClaimedMessage): Promise<Acceptance> {
    const payload = fillSecrets(message.payload as typeof message.payload & { secrets?: SecretSlots }, (slot) =>
      this.secrets.messageSecret(slot),
    );
    return this.transport.send({ ...payload, to: message.recipient, messageId: message.messageId, outboxId: message.id });
  }

  classify(err: unknown): SendVerdict {
    return classifySendError(err);
  }
}

@Injectable()
export class SmsChannel implements NotificationChannel {
  constructor(
    private readonly gateway: SmsGateway,
    private readonly secrets: SecretsService,
  ) {}

  async send(message: ClaimedMessage): Promise<Acceptance> {
    const { text } = fillSecrets(message.payload as typeof message.payload & { secrets?: SecretSlots }, (slot) =>
      this.secrets.messageSecret(slot),
    );
    const sent = await this.gateway.send({ to: message.recipient, text, reference: message.id });
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
