import { DateTime } from 'luxon';
import { escapeHtml as e } from '../../common/html';
import type { ConsoleContext } from './console-layout';

/** An instant (ISO string or Date) in a zone, in the console's format; '–' for none. */
export function when(ctx: ConsoleContext, value: string | Date | null | undefined, zone?: string, format?: string): string {
  if (!value) return '–';
  // An ISO string with an offset keeps it (the office's) unless a zone is named; UTC ones and Dates show in German time.
  const own = typeof value === 'string' && !value.endsWith('Z');
  const d = typeof value === 'string' ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromJSDate(value);
  return (zone ? d.setZone(zone) : own ? d : d.setZone('Europe/Berlin'))
    .setLocale(ctx.lang)
    .toFormat(format ?? ctx.t.dateTimeFormat);
}

/** A `datetime-local` value (wall time in the zone) -> ISO with offset; undefined when not a time. */
export function fromLocalInput(value: unknown, zone: string): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return undefined;
  const d = DateTime.fromISO(value, { zone });
  return d.isValid ? (d.toISO() ?? undefined) : undefined;
}

export function toLocalInput(value: DateTime): string {
  return value.toFormat("yyyy-MM-dd'T'HH:mm");
}

export const statusLabel = (ctx: ConsoleContext, status: string) =>
  `<span class="kern-badge kern-badge--${status === 'confirmed' ? 'success' : status === 'pending' ? 'warning' : status === 'expired' ? 'danger' : 'info'}"><span class="kern-label kern-label--small">${e(ctx.t.statuses[status] ?? status)}</span></span>`;

export const bookingLink = (id: string, reference: string) =>
  `<a class="kern-link" href="/verwaltung/buchungen/${e(id)}">${e(reference)}</a>`;

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
