import { placeholder } from '../common/message-secrets';
import { AppointmentNoticeInput } from '../notifications/confirmation-mail';
import { BookingRow } from './bookings.repository';

/**
 * What every mail about an appointment says of it, with the status and cancel links (their token
 * a placeholder, filled in when the mail is sent) and the booking's language.
 */
export function appointmentMail(booking: BookingRow, publicBaseUrl: string): AppointmentNoticeInput {
  return {
    name: booking.name,
    reference: booking.reference,
    locationName: booking.locationName,
    locationAddress: booking.locationAddress,
    serviceName: booking.serviceName,
    timeZone: booking.timeZone,
    slotStartsAt: booking.slotStartsAt,
    statusUrl: `${publicBaseUrl}/buchung/${booking.id}?token=${placeholder('status')}`,
    cancelUrl: `${publicBaseUrl}/buchung/${booking.id}/absagen?token=${placeholder('status')}`,
    lang: booking.lang,
  };
}
