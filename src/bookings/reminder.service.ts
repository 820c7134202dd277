import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { placeholder, statusSlot } from '../common/message-secrets';
import { WorkerLoop } from '../common/worker-loop';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { familyOfDomain } from '../mail-delivery/provider-families';
import { renderReminderMail } from '../notifications/confirmation-mail';
import { OutboxRepository } from '../outbox/outbox.repository';
import { appointmentMail } from './appointment-mail';
import { BookingsRepository } from './bookings.repository';
import { SMS_FAMILY, SmsFallbackService } from './sms-fallback.service';

const BATCH = 200;
const INTERVAL_MS = 60_000;

/**
 * REMINDER_HOURS before a confirmed appointment: a reminder by mail, and by SMS where a phone is
 * on file and a gateway is configured, through the outbox with the same delivery tracking. None
 * for bookings made after that point, cancelled or expired ones; exactly one per booking and
 * channel, also with several instances (the database's unique index decides).
 */
@Injectable()
export class ReminderService implements OnApplicationBootstrap, OnModuleDestroy {
  private loop?: WorkerLoop;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly sms: SmsFallbackService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled || this.config.reminderHours === 0) return;
    this.loop = new WorkerLoop('Reminders', () => this.queueDue().then(() => undefined), {
      intervalMs: INTERVAL_MS,
      failure: 'reminders not queued',
    });
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop?.stop();
  }

  /** Queues the reminders that are due now; how many mails were written. */
  async queueDue(): Promise<number> {
    if (this.config.reminderHours === 0) return 0;
    const now = this.clock.now();
    return this.tx.run(async (manager) => {
      const due = await this.bookings.dueForReminder(manager, now.toJSDate(), this.config.reminderHours, BATCH);
      let written = 0;
      for (const booking of due) {
        const base = this.config.publicBaseUrl;
        const mail = renderReminderMail(appointmentMail(booking, base));
        const secrets = { status: statusSlot(booking.id, booking.statusTokenVersion) };
        const at = now.toJSDate();
        if (
          await this.outbox.enqueueReminder(manager, {
            id: randomUUID(),
            bookingId: booking.id,
            kind: 'booking_reminder',
            channel: 'email',
            recipient: booking.email,
            payload: { to: booking.email, ...mail, secrets },
            family: familyOfDomain(booking.email, this.config.providerFamilyOverrides) ?? null,
            now: at,
          })
        )
          written += 1;
        if (booking.phone && this.sms.enabled) {
          const when = DateTime.fromJSDate(booking.slotStartsAt).setZone(booking.timeZone).toFormat('dd.MM. HH:mm');
          const text = `Buergeramt: Erinnerung an Ihren Termin ${when} Uhr (${booking.reference}). Absagen: ${base}/buchung/${booking.id}/absagen?token=${placeholder('status')}`;
          await this.outbox.enqueueReminder(manager, {
            id: randomUUID(),
            bookingId: booking.id,
            kind: 'sms_reminder',
            channel: 'sms',
            recipient: booking.phone,
            payload: { to: booking.phone, subject: 'SMS', text, secrets },
            family: SMS_FAMILY,
            now: at,
          });
        }
      }
      return written;
    });
  }
}
