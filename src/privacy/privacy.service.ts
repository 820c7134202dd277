import { Injectable } from '@nestjs/common';
import { Actor, AuditService } from '../audit/audit.service';
import { BookingsRepository } from '../bookings/bookings.repository';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { TransactionRunner } from '../database/transaction-runner';
import { OutboxRepository } from '../outbox/outbox.repository';
import { RetentionService } from './retention.service';

/**
 * Citizens' requests under the GDPR, handled by an admin: everything held about an e-mail address
 * (Art. 15), and its erasure ahead of the retention period (Art. 17). Both audited, with the
 * address as its hash only.
 */
@Injectable()
export class PrivacyService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly bookings: BookingsRepository,
    private readonly outbox: OutboxRepository,
    private readonly audit: AuditService,
    private readonly retention: RetentionService,
    private readonly clock: Clock,
  ) {}

  async export(email: string, actor: Actor) {
    return this.tx.run(async (manager) => {
      const bookings = await this.bookings.ofAddress(manager, email);
      const ids = bookings.map((b) => b.id as string);
      const mail = await this.outbox.ofAddress(manager, ids, email);
      const audit = await this.audit.ofAddress(manager, ids, email);
      await this.audit.record(manager, actor, {
        action: 'privacy.export',
        after: { email, bookings: bookings.length, messages: mail.messages.length, auditEntries: audit.length },
      });
      return { email, exportedAt: this.clock.now().toISO(), bookings, ...mail, audit };
    });
  }

  /**
   * The address's bookings anonymised now, as retention would later. A booking still ahead (pending
   * or confirmed, its appointment not over) is refused: it would lose its mail; cancel it first.
   */
  async erase(email: string, reason: string, actor: Actor) {
    return this.tx.run(async (manager) => {
      const found = await this.bookings.lockOfAddress(manager, email);
      const now = this.clock.now().toJSDate();
      const active = found.filter((b) => (b.status === 'pending' || b.status === 'confirmed') && b.slotEndsAt > now);
      if (active.length > 0)
        throw new DomainError('PRIVACY_ACTIVE_BOOKING', 'This address has bookings still ahead; cancel them first, then erase.', {
          references: active.map((b) => b.reference),
        });
      const counts = await this.retention.anonymise(
        manager,
        found.map((b) => b.id),
      );
      await this.audit.record(manager, actor, { action: 'privacy.erase', reason, after: { email, ...counts } });
      return counts;
    });
  }
}
