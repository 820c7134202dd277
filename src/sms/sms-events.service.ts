import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { DELIVERY_LISTENER, DeliveryListener } from '../outbox/delivery-listener';
import { OutboxRepository } from '../outbox/outbox.repository';
import { ReportTooEarly } from '../outbox/report-too-early.error';

/** The SMS gateway's delivery reports: a handset delivery starts the confirmation window. */
@Injectable()
export class SmsEventsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
    @Inject(DELIVERY_LISTENER) private readonly listener: DeliveryListener,
    private readonly clock: Clock,
  ) {}

  async applyReport(
    reference: string,
    status: 'delivered' | 'failed',
    replayKey?: Buffer,
  ): Promise<{ matched: boolean; duplicate?: boolean }> {
    const now = this.clock.now();
    return this.tx.run(async (manager) => {
      // The same signed request again (a replay) changes nothing.
      if (replayKey && !(await this.outbox.takeReceipt(manager, replayKey, now.toJSDate())))
        return { matched: false, duplicate: true };
      // Lock order booking -> message, as every other writer takes them.
      const bookingId = await this.outbox.bookingOfReported(manager, { outboxId: reference, channel: 'sms' });
      if (bookingId) await this.listener.lockBookings(manager, [bookingId]);
      const message = await this.outbox.lockForReport(manager, { outboxId: reference, channel: 'sms' });
      if (message?.state === 'sending') throw new ReportTooEarly(reference);
      const moved = message ? await this.outbox.applySmsReport(manager, reference, status, now.toJSDate()) : undefined;
      await this.outbox.recordReport(manager, {
        messageId: message ? reference : null,
        at: now.toJSDate(),
        source: 'webhook',
        kind: `sms_${status}`,
        stateAfter: moved?.state ?? null,
        unmatchedReason: message ? null : 'unknown_sms',
      });
      if (moved?.bookingId) await this.listener.onDeliveryChanged(manager, [moved.bookingId], now);
      return { matched: moved !== undefined };
    });
  }
}
