import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SecretsService } from '../common/secrets.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryReportsService, ReportAdmission } from './delivery-reports.service';
import { DEFAULT_DSN_MAX_BYTES, parseDsn, smtpReplyForRecipient } from './dsn-parser';
import { parseVerpAddress } from './verp';

const MAX_RECIPIENTS_PER_REPORT = 5;

const refusal = (text: string) => Object.assign(new Error(text), { responseCode: 550 });
/** The answer to RCPT TO for each admission (undefined: accepted). */
const REFUSALS: Record<ReportAdmission, Error | undefined> = {
  ok: undefined,
  expired: refusal('5.1.1 this bounce address has expired'),
  enough: refusal('5.7.1 enough reports for this message'),
  unknown: refusal('5.1.1 no such bounce address'),
};

/**
 * The inbound SMTP listener for delivery reports. Accepts mail only for valid, signed VERP
 * addresses; parses RFC 3464 reports and applies them to the message the address names.
 * Anything else is refused at RCPT or recorded as unmatched; nothing here can crash the app.
 */
@Injectable()
export class BounceListenerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('BounceListener');
  private server?: SMTPServer;
  port?: number;

  constructor(
    private readonly reports: DeliveryReportsService,
    private readonly secrets: SecretsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bounceSmtpPort === undefined) return;
    this.server = new SMTPServer({
      name: this.config.bounceDomain,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: DEFAULT_DSN_MAX_BYTES,
      maxClients: 50,
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const parsed = parseVerpAddress(address.address, this.secrets.verpKey(), this.config.bounceDomain);
        if ('error' in parsed) return callback(Object.assign(new Error('5.1.1 no such bounce address'), { responseCode: 550 }));
        this.reports
          .admitReport(parsed.messageId, parsed.validThrough)
          .then((admission) => callback(REFUSALS[admission]))
          .catch((err: Error) => {
            this.logger.error(`bounce address not checked: ${err.message}`);
            callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
          });
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= DEFAULT_DSN_MAX_BYTES) chunks.push(chunk);
        });
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || size > DEFAULT_DSN_MAX_BYTES) {
            return callback(Object.assign(new Error('5.3.4 message too big for a delivery report'), { responseCode: 552 }));
          }
          const rcpt = session.envelope.rcptTo.map((r) =>
            parseVerpAddress(r.address, this.secrets.verpKey(), this.config.bounceDomain),
          );
          const ids = rcpt.flatMap((p) => ('messageId' in p ? [p.messageId] : []));
          this.handle(Buffer.concat(chunks), ids)
            .then(() => callback())
            .catch((err: Error) => {
              this.logger.error(`delivery report not recorded: ${err.message}`);
              callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
            });
        });
      },
    });
    this.server.on('error', (err) => this.logger.warn(`bounce listener: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.bounceSmtpPort, this.config.bounceSmtpHost, () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    this.logger.log(
      `listening for delivery reports on ${this.config.bounceSmtpHost}:${this.port} (bounces+…@${this.config.bounceDomain})`,
    );
  }

  /** One report mail, addressed (by VERP) to the messages in `outboxIds`. */
  async handle(raw: Buffer, outboxIds: string[]): Promise<void> {
    const parsed = parseDsn(raw);
    if (!parsed.ok) {
      // An auto-reply or a broken report: counted against the message (and so limited), its text not kept.
      await this.reports.recordUnmatched('dsn', parsed.error, undefined, outboxIds[0] ?? null);
      return;
    }
    for (const outboxId of outboxIds) {
      // A report about one message of ours names one recipient; a few more are tolerated, not thousands.
      for (const recipient of parsed.report.recipients.slice(0, MAX_RECIPIENTS_PER_REPORT)) {
        await this.reports.applyReport({
          source: 'dsn',
          messageRef: { outboxId },
          action: recipient.action,
          status: recipient.status,
          reply: recipient.diagnosticCode ? smtpReplyForRecipient(recipient) : undefined,
          remoteMta: recipient.remoteMta,
          recipient: recipient.finalRecipient,
          raw: recipient.diagnosticCode,
        });
      }
    }
  }

  /** Before the database closes (onApplicationShutdown): a report arriving now is still recorded, not refused. */
  async beforeApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
