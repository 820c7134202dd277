import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ScriptedReply {
  code: number;
  message: string;
}

/**
 * A real SMTP server on loopback whose answer at RCPT TO is chosen per recipient domain
 * (a test's stand-in for a provider's MX or a city relay). Accepted mails are kept.
 */
export class ScriptedSmtpServer {
  readonly received: Array<{
    from: string;
    to: string[];
    raw: string;
    messageId: string | null;
    dsn?: { ret?: string; envid?: string; notify?: string[] };
  }> = [];
  readonly rcptReplies = new Map<string, ScriptedReply>();
  /** Per recipient domain: the answer after DATA (content filters, DMARC). */
  readonly dataReplies = new Map<string, ScriptedReply>();
  /** Set: MAIL FROM is refused (a relay that will not take our sender). */
  mailReply?: ScriptedReply;
  rcptAttempts = 0;
  /** Every RCPT TO address, in order, whatever the answer. */
  readonly rcptLog: string[] = [];
  private server?: SMTPServer;
  port = 0;

  /** Milliseconds to wait before answering DATA (a slow relay); `dataStarted` counts the DATA commands begun. */
  dataDelayMs = 0;
  /** Per recipient domain: milliseconds to wait before answering DATA (one slow provider behind the relay). */
  readonly dataDelays = new Map<string, number>();
  dataStarted = 0;

  /** Set: every connection is refused with this greeting (a provider blocking our IP). */
  connReply?: ScriptedReply;
  connections = 0;

  /**
   * `dsn: false`: announces no DSN in its EHLO, as a relay configured without it (or a provider's
   * MX, most of which offer none). Default: like Postfix, DSN (RFC 3461) and enhanced status codes.
   */
  constructor(private readonly options: { dsn?: boolean } = {}) {}

  async start(listen: { host?: string; port?: number } = {}): Promise<string> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      hideDSN: this.options.dsn === false,
      hideENHANCEDSTATUSCODES: false,
      onConnect: (_session, callback) => {
        this.connections += 1;
        if (!this.connReply) return callback();
        return callback(Object.assign(new Error(this.connReply.message), { responseCode: this.connReply.code }));
      },
      onRcptTo: (address, _session, callback) => {
        this.rcptAttempts += 1;
        this.rcptLog.push(address.address);
        const reply = this.rcptReplies.get(address.address.split('@')[1]);
        if (!reply) return callback();
        const err = Object.assign(new Error(reply.message), { responseCode: reply.code });
        return callback(err);
      },
      onMailFrom: (_address, _session, callback) => {
        if (!this.mailReply) return callback();
        return callback(Object.assign(new Error(this.mailReply.message), { responseCode: this.mailReply.code }));
      },
      onData: (stream, session, callback) => {
        const dataReply = session.envelope.rcptTo.map((r) => this.dataReplies.get(r.address.split('@')[1])).find(Boolean);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        this.dataStarted += 1;
        stream.on('end', async () => {
          const delay = Math.max(
            this.dataDelayMs,
            ...session.envelope.rcptTo.map((r) => this.dataDelays.get(r.address.split('@')[1]) ?? 0),
          );
          if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
          if (dataReply) return callback(Object.assign(new Error(dataReply.message), { responseCode: dataReply.code }));
          const raw = Buffer.concat(chunks).toString('utf8');
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            dsn: { ...(session.envelope as any).dsn, notify: (session.envelope.rcptTo[0] as any)?.dsn?.notify },
            raw,
            messageId: /^Message-ID:\s*(.+)$/im.exec(raw)?.[1]?.trim() ?? null,
          });
          callback();
        });
      },
    });
    const host = listen.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(listen.port ?? 0, host, () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return `smtp://${host}:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
