import { Logger } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  links: string[];
  /** Attached files (the calendar entry of a confirmed appointment), with their text. */
  attachments: Array<{ filename: string; contentType: string; content: string }>;
  messageId: string | null;
  receivedAt: string;
}

const MAX_KEPT = 500;
const MAX_SIZE = 1024 * 1024;

/**
 * The development mail catcher: a real SMTP server (smtp-server) on loopback that keeps what
 * it receives in memory, newest first, so a new user can open the confirmation link.
 */
export class DevMailCatcher {
  private readonly logger = new Logger('DevMailCatcher');
  private readonly mails: CaughtMail[] = [];
  private server?: SMTPServer;
  port = 0;

  async start(port: number): Promise<string> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: MAX_SIZE,
      logger: false,
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const to = session.envelope.rcptTo.map((r) => r.address);
            const text = parsed.text ?? '';
            const html = typeof parsed.html === 'string' ? parsed.html : '';
            this.mails.unshift({
              to,
              subject: parsed.subject ?? '',
              text,
              html,
              links: extractLinks(text),
              attachments: parsed.attachments.map((a) => ({
                filename: a.filename ?? '',
                contentType: a.contentType,
                content: a.content.toString('utf8'),
              })),
              messageId: parsed.messageId ?? null,
              receivedAt: new Date().toISOString(),
            });
            this.mails.length = Math.min(this.mails.length, MAX_KEPT);
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    this.server.on('error', (err) => this.logger.warn(`dev SMTP: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  list(): CaughtMail[] {
    return [...this.mails];
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function extractLinks(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
}
