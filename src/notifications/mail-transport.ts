import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecretsService } from '../common/secrets.service';
import { verpAddress } from '../mail-delivery/verp';

export const DEV_SMTP_URL = Symbol('DEV_SMTP_URL');

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  outboxId: string;
}

export interface SmtpAcceptance {
  replyCode: number | null;
  reply: string;
  acceptedBy: 'relay' | 'mx';
}

/**
 * Real SMTP through nodemailer's pooled transport: the city's relay (SMTP_URL), or the
 * in-process development catcher on loopback. Throws nodemailer's error on refusal.
 */
@Injectable()
export class MailTransport implements OnModuleDestroy {
  private readonly logger = new Logger('MailTransport');
  private readonly transporter?: Transporter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEV_SMTP_URL) devSmtpUrl: string | null,
    private readonly secrets: SecretsService,
  ) {
    const url = config.smtpUrl ?? devSmtpUrl;
    // A command-line context (seed, staff) has neither and never sends.
    if (!url) return;
    this.transporter = createTransport(url, {
      pool: true,
      maxConnections: config.smtpPoolSize,
      maxMessages: 1000,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    } as never);
  }

  async send(mail: OutgoingMail): Promise<SmtpAcceptance> {
    if (!this.transporter) throw new Error('no SMTP_URL and no development mail catcher: this process cannot send mail');
    const info = await this.transporter.sendMail({
      from: this.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
      headers: { 'Auto-Submitted': 'auto-generated' },
      // VERP: a bounce names the message it is about, signed so a forged one is refused.
      envelope: { from: verpAddress(mail.outboxId, this.secrets.verpKey(), this.config.bounceDomain), to: [mail.to] },
      // Asked for only where the relay offers DSN: report failures and delays, with our id (ENVID).
      dsn: { id: mail.outboxId, return: 'headers', notify: ['failure', 'delay'], recipient: mail.to },
    });
    const reply = String(info.response ?? '');
    const code = Number.parseInt(reply.slice(0, 3), 10);
    return { replyCode: Number.isFinite(code) ? code : null, reply, acceptedBy: 'relay' };
  }

  onModuleDestroy(): void {
    this.transporter?.close();
  }
}
