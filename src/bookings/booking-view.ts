import { isoInZone } from '../common/time';
import { MessageView } from '../outbox/outbox.repository';
import { BookingRow } from './bookings.repository';

const at = (d: Date | null, zone: string) => (d ? isoInZone(d, zone) : null);

/** What the holder of a booking sees: times in the office's zone, and where each mail is. */
export function bookingView(booking: BookingRow, messages: MessageView[], hold?: { reason: string; explanation: string }) {
  const zone = booking.timeZone;
  return {
    id: booking.id,
    reference: booking.reference,
    status: booking.status,
    holdUntil: booking.status === 'pending' ? isoInZone(booking.holdUntil, zone) : null,
    /** Why the citizen is waiting, in words (pending bookings only). */
    hold: booking.status === 'pending' && hold ? hold : null,
    createdAt: isoInZone(booking.createdAt, zone),
    confirmedAt: at(booking.confirmedAt, zone),
    cancelledAt: at(booking.cancelledAt, zone),
    expiredAt: at(booking.expiredAt, zone),
    expiryReason: booking.expiryReason,
    name: booking.name,
    email: booking.email,
    phone: booking.phone,
    slot: {
      id: booking.slotId,
      startsAt: isoInZone(booking.slotStartsAt, zone),
      endsAt: isoInZone(booking.slotEndsAt, zone),
      service: { id: booking.serviceId, name: booking.serviceName },
      location: { id: booking.locationId, name: booking.locationName, address: booking.locationAddress, timeZone: zone },
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
      nextAttemptAt: m.state === 'queued' || m.state === 'deferred' ? isoInZone(m.nextAttemptAt, zone) : null,
      acceptedAt: at(m.acceptedAt, zone),
      failedAt: at(m.failedAt, zone),
      lastReplyCode: m.lastReplyCode,
      lastReply: m.lastReply,
      lastReplyCategory: m.lastReplyCategory,
      history: m.history.map((h) => ({
        attempt: h.attempt,
        at: isoInZone(h.finishedAt, zone),
        outcome: h.outcome,
        replyCode: h.replyCode,
        reply: h.reply,
        errorCode: h.errorCode,
        category: h.category,
      })),
      reports: m.reports.map((r) => ({
        at: isoInZone(r.at, zone),
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
