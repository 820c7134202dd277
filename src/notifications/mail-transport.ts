import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createTransport, SendMailOptions, Transporter } from 'nodemailer';
import { SecretsService } from '../common/secrets.service';
import { Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MX_RESOLVER } from '../mail-delivery/mx-resolver.token';
import { domainOf, MxResolver } from '../mail-delivery/provider-families';
import { RelayStatusService } from '../mail-delivery/relay-status.service';
import { verpAddress } from '../mail-delivery/verp';
import { announcesDsn, readEhloExtensions } from './relay-ehlo';

export const DEV_SMTP_URL = Symbol('DEV_SMTP_URL');

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** E.g. the calendar entry (text/calendar) of a confirmed appointment. */
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
  messageId: string;
  outboxId: string;
}

export interface SmtpAcceptance {
  replyCode: number | null;
  reply: string;
  acceptedBy: 'relay' | 'mx';
  /** Our relay announced DSN on this connection, so it was asked for success, delay and failure reports. */
  reportsRequested: boolean;
  /** For direct delivery: the MX host that took it. */
  remoteHost?: string;
}

/** Errors where the host never answered: the next MX host is tried. A reply from an MX is final. */
/** Resolver errors that say nothing about the domain: no answer, refused, server failure. */
const RESOLVER_TROUBLE = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ESERVFAIL', 'EREFUSED', 'EAI_AGAIN', 'ECANCELLED', 'ECONNRESET']);

const CONNECTION_ERRORS = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND']);
const MAX_MX_HOSTS = 5;

/**
 * Real SMTP through nodemailer's pooled transports. `relay`: the city's relay (SMTP_URL) or the
 * in-process development catcher. `direct`: the recipient's MX hosts in priority order, one pool
 * per host, DKIM-signed, so a provider's refusal is seen at once. Throws nodemailer's error on
 * refusal (with `remoteHost` added for direct delivery).
 */
@Injectable()
export class MailTransport implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MailTransport');
  private readonly relay?: Transporter;
  private readonly mxPools = new Map<string, Transporter>();
  private verified?: { at: number; check: MailCheck };
  private verifying?: Promise<MailCheck>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEV_SMTP_URL) devSmtpUrl: string | null,
    private readonly secrets: SecretsService,
    @Inject(MX_RESOLVER) private readonly mx: MxResolver,
    private readonly relayStatus: RelayStatusService,
    private readonly clock: Clock,
  ) {
    if (config.mailTransport === 'direct') return;
    const url = config.smtpUrl ?? devSmtpUrl;
    // A command-line context (seed, staff) has neither and never sends.
    if (!url) return;
    // One options object: a second argument to createTransport would be message defaults, not transport options.
    this.relay = createTransport({
      url,
      pool: true,
      maxConnections: config.smtpPoolSize,
      maxMessages: 1000,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
      dkim: config.dkim,
    } as never);
  }

  /**
   * Start-up check of the city's relay: does it announce DSN? Without it no report can ever tell
   * where a mail is, and the transit rule (RELAY_TRANSIT_MINUTES) decides; that is said loudly
   * here and on the providers view. A relay that cannot be reached is reported, not fatal: mail
   * waits in the outbox until it answers.
   */
  async onApplicationBootstrap(): Promise<void> {
    const url = this.config.mailMode === 'relay' ? this.config.smtpUrl : undefined;
    if (!url) return;
    const at = Date.now();
    const where = redactedUrl(url);
    try {
      const dsn = announcesDsn(await readEhloExtensions(url, this.config.heloName));
      this.relayStatus.recordEhlo({ at, dsn });
      if (dsn) this.logger.log(`relay ${where} announces DSN: mail stays in transit until the relay reports it delivered`);
      else
        this.logger.warn(
          `relay ${where} announces no DSN: holdfast cannot learn when mail reaches the recipient; mail the relay took counts as ` +
            `delivered ${this.config.relayTransitMinutes} minutes after its 250 (RELAY_TRANSIT_MINUTES). Switch DSN on at the relay.`,
        );
    } catch (err) {
      this.relayStatus.recordEhlo({ at, dsn: false, error: (err as Error).message });
      this.logger.warn(`relay ${where} could not be asked for its capabilities at start-up: ${(err as Error).message}`);
    }
  }

  async send(mail: OutgoingMail): Promise<SmtpAcceptance> {
    if (this.config.mailTransport === 'direct') return this.sendDirect(mail, this.message(mail, ['failure', 'delay']));
    if (!this.relay) throw new Error('no SMTP_URL and no development mail catcher: this process cannot send mail');
    const info = await this.relay.sendMail(this.message(mail, ['success', 'failure', 'delay']));
    // The development catcher is the mailbox itself: what it took is delivered.
    if (this.config.devMail) return { ...parseReply(info.response), acceptedBy: 'mx', reportsRequested: false };
    // nodemailer adds the DSN parameters only where the server announced DSN on this connection.
    return { ...parseReply(info.response), acceptedBy: 'relay', reportsRequested: announcesDsn(info.ehlo) };
  }

  /**
   * Through our relay we ask for every report: a success report is the moment the mail reached the
   * recipient's side. An MX's 250 already is that moment, so direct delivery asks only for failures
   * and delays.
   */
  private message(mail: OutgoingMail, notify: Array<'success' | 'failure' | 'delay'>): SendMailOptions {
    return {
      from: this.config.mailFrom,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      attachments: mail.attachments,
      messageId: mail.messageId,
      headers: { 'Auto-Submitted': 'auto-generated' },
      // VERP: a bounce names the message it is about, signed so a forged one is refused.
      envelope: { from: this.bounceAddress(mail.outboxId), to: [mail.to] },
      // Asked for only where the server offers DSN, with our id (ENVID) and only the headers back.
      dsn: { id: mail.outboxId, return: 'headers', notify, recipient: mail.to },
    };
  }

  /** The VERP sender: names the message, valid VERP_VALID_DAYS from now (relays give up after about 5). */
  private bounceAddress(outboxId: string): string {
    const validThrough = this.clock.now().plus({ days: this.config.verpValidDays }).toJSDate();
    return verpAddress(outboxId, this.secrets.verpKey(), this.config.bounceDomain, validThrough);
  }

  private async sendDirect(mail: OutgoingMail, options: SendMailOptions): Promise<SmtpAcceptance> {
    const domain = domainOf(mail.to);
    const hosts = await this.mailHosts(domain);
    let lastError: unknown;
    for (const host of hosts.slice(0, MAX_MX_HOSTS)) {
      try {
        const info = await this.pool(host).sendMail(options);
        return { ...parseReply(info.response), acceptedBy: 'mx', reportsRequested: false, remoteHost: host };
      } catch (err) {
        lastError = Object.assign(err as object, { remoteHost: host });
        const error = err as { code?: string; responseCode?: number };
        if (error.responseCode || !CONNECTION_ERRORS.has(error.code ?? '')) throw lastError;
        this.logger.warn(`MX ${host} of ${domain} not reachable (${error.code}); trying the next one`);
      }
    }
    throw lastError;
  }

  /**
   * The domain's MX hosts by priority; none (or no MX record at all): the domain itself (RFC 5321,
   * 5.1). A lookup that fails because a resolver does not answer is tried once more for the canary
   * domain: when that fails too, our own resolver is down (ERESOLVER: not the recipient's fault,
   * the dispatcher pauses sending like for an unreachable relay); else the recipient's DNS is (EDNS).
   */
  private async mailHosts(domain: string): Promise<string[]> {
    let records: Array<{ exchange: string; priority: number }>;
    try {
      records = await this.mx.resolveMx(domain);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code === 'ENODATA') return [domain];
      const failed = (what: string, errorCode: 'EDNS' | 'ERESOLVER') =>
        Object.assign(new Error(`${what}: ${(err as Error).message}`), { code: errorCode, command: 'CONN' });
      if (RESOLVER_TROUBLE.has(code) && !(await this.resolverAnswers()))
        throw failed(`our DNS resolver does not answer (MX of ${domain}, and of ${this.config.dnsCanaryDomain})`, 'ERESOLVER');
      throw failed(`MX lookup for ${domain} failed`, 'EDNS');
    }
    return records.length ? [...records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange) : [domain];
  }

  private async resolverAnswers(): Promise<boolean> {
    try {
      await this.mx.resolveMx(this.config.dnsCanaryDomain);
      return true;
    } catch (err) {
      return !RESOLVER_TROUBLE.has((err as { code?: string }).code ?? '');
    }
  }

  private pool(host: string): Transporter {
    let transporter = this.mxPools.get(host);
    if (!transporter) {
      transporter = createTransport({
        host,
        port: this.config.directSmtpPort,
        name: this.config.heloName,
        pool: true,
        maxConnections: 2,
        maxMessages: 100,
        opportunisticTLS: true,
        tls: { rejectUnauthorized: false },
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
        dkim: this.config.dkim,
      } as never);
      this.mxPools.set(host, transporter);
    }
    return transporter;
  }

  /**
   * Readiness: does the relay (or the development catcher) answer EHLO (and AUTH)? nodemailer's
   * verify on a connection of its own, its result kept VERIFY_CACHE_MS so probes every few seconds
   * do not knock at the relay each time; one check at a time, waited for at most `timeoutMs` (a
   * check still running counts as unknown). Direct delivery has no single server to ask.
   */
  async check(timeoutMs: number): Promise<MailCheck> {
    if (!this.relay) return this.config.mailTransport === 'direct' ? 'direct' : 'down';
    const now = Date.now();
    if (this.verified && now - this.verified.at < VERIFY_CACHE_MS) return this.verified.check;
    this.verifying ??= this.relay
      .verify()
      .then(
        () => 'up' as const,
        (err: Error) => {
          this.logger.warn(`mail transport check failed: ${err.message}`);
          return 'down' as const;
        },
      )
      .then((check) => {
        this.verified = { at: Date.now(), check };
        this.verifying = undefined;
        return check;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<MailCheck>((resolve) => (timer = setTimeout(() => resolve('unknown'), timeoutMs)));
    try {
      return await Promise.race([this.verifying, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * After every loop stopped (onModuleDestroy, with the dispatcher's last round sent and
   * recorded) and before the database closes (TypeORM closes in onApplicationShutdown).
   */
  beforeApplicationShutdown(): void {
    this.relay?.close();
    for (const transporter of this.mxPools.values()) transporter.close();
  }
}

/** `unknown`: the check did not end in time; `direct`: no relay to ask. */
export type MailCheck = 'up' | 'down' | 'unknown' | 'direct';

const VERIFY_CACHE_MS = 30_000;

/** The relay's address without its password, for the log. */
function redactedUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function parseReply(response: unknown): { replyCode: number | null; reply: string } {
  const reply = String(response ?? '');
  const code = Number.parseInt(reply.slice(0, 3), 10);
  return { replyCode: Number.isFinite(code) ? code : null, reply };
}
