import { createEvent } from 'ics';

export interface AppointmentEvent {
  /** Stable per booking, so a calendar replaces the entry instead of adding one. */
  uid: string;
  /** Raised with every change of the entry (confirmed 0, cancelled 1, …). */
  sequence: number;
  method: 'REQUEST' | 'CANCEL';
  start: Date;
  end: Date;
  title: string;
  location: string;
  description: string;
}

/**
 * The appointment as an iCalendar file (RFC 5545) with the `ics` package. Start and end are
 * written in UTC (`…Z`): the instant stays right across daylight-saving changes in any
 * calendar's zone. Pure; throws only on attributes the package refuses (a programming error).
 */
export function appointmentIcs(event: AppointmentEvent): string {
  const { error, value } = createEvent({
    uid: event.uid,
    sequence: event.sequence,
    method: event.method,
    status: event.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED',
    start: event.start.getTime(),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: event.end.getTime(),
    endInputType: 'utc',
    endOutputType: 'utc',
    title: event.title,
    location: event.location,
    description: event.description,
    productId: 'holdfast',
    busyStatus: 'BUSY',
  });
  if (error || !value) throw error ?? new Error('no calendar entry');
  return value;
}
