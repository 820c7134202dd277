import { isoInZone } from '../common/time';
import { MessageView } from '../outbox/outbox.repository';
import { BookingRow } from './bookings.repository';

const at = (d: Date | null, zone: string) => (d ? isoInZone(d, zone) : null);

/** What the holder of a booking sees: times in the office's zone, and where each mail is. */
export function bookingView(b: BookingRow, messages: MessageView[], hold?: { reason: string; explanation: string }) {
  const z = b.timeZone;
  return {
    id: b.id,
    reference: b.reference,
    status: b.status,
    holdUntil: b.status === 'pending' ? isoInZone(b.holdUntil, z) : null,
    /** Why the citizen is waiting, in words (pending bookings only). */
    hold: b.status === 'pending' && hold ? hold : null,
    createdAt: isoInZone(b.createdAt, z),
    confirmedAt: at(b.confirmedAt, z),
    cancelledAt: at(b.cancelledAt, z),
    expiredAt: at(b.expiredAt, z),
    expiryReason: b.expiryReason,
    name: b.name,
    email: b.email,
    phone: b.phone,
    slot: {
      id: b.slotId,
      startsAt: isoInZone(b.slotStartsAt, z),
      endsAt: isoInZone(b.slotEndsAt, z),
      service: { id: b.serviceId, name: b.serviceName },
      location: { id: b.locationId, name: b.locationName, address: b.locationAddress, timeZone: z },
    },
    messages: messages.map((m) => ({
      id: m.id,
      kind: m.kind,
      channel: m.channel,
      recipient: m.recipient,
      state: m.state,
      family: m.family,
      acceptedBy: m.acceptedBy,
      attempts: m.attempts,
      nextAttemptAt: m.state === 'queued' || m.state === 'deferred' ? isoInZone(m.nextAttemptAt, z) : null,
      acceptedAt: at(m.acceptedAt, z),
      failedAt: at(m.failedAt, z),
      lastReplyCode: m.lastReplyCode,
      lastReply: m.lastReply,
      lastReplyCategory: m.lastReplyCategory,
      history: m.history.map((h) => ({
        attempt: h.attempt,
        at: isoInZone(h.finishedAt, z),
        outcome: h.outcome,
        replyCode: h.replyCode,
        reply: h.reply,
        errorCode: h.errorCode,
        category: h.category,
      })),
      reports: m.reports.map((r) => ({
        at: isoInZone(r.at, z),
        source: r.source,
        kind: r.kind,
        status: r.status,
        category: r.category,
        reply: r.reply,
        remoteMta: r.remoteMta,
        stateAfter: r.stateAfter,
      })),
    })),
  };
}
