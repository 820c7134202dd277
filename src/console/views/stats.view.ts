import { escapeHtml as e } from '../../common/html';
import type { StatsService } from '../../stats/stats.service';
import { ConsoleContext, input, select, submit, table } from './console-layout';

type Figures = Awaited<ReturnType<StatsService['figures']>>;

/** A horizontal bar chart as inline SVG (no script; the labels are text, so screen readers get them too). */
export function barChart(title: string, bars: Array<{ label: string; value: number; alt?: boolean }>): string {
  const width = 640;
  const row = 28;
  const labelWidth = 280;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * row + 8;
  const items = bars
    .map((b, i) => {
      const w = Math.round(((width - labelWidth - 60) * b.value) / max);
      const y = i * row + 4;
      return `<g><text x="0" y="${y + 18}">${e(b.label)}</text><rect class="${b.alt ? 'bar-alt' : 'bar'}" x="${labelWidth}" y="${y + 4}" width="${w}" height="${row - 10}"></rect><text x="${labelWidth + w + 6}" y="${y + 18}">${b.value}</text></g>`;
    })
    .join('');
  return `<figure class="console-chart"><svg role="img" aria-label="${e(title)}" viewBox="0 0 ${width} ${height}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>${e(title)}</title>${items}</svg><figcaption class="kern-body kern-body--small">${e(title)}</figcaption></figure>`;
}

/** The figures of a period (one office or all) with charts and the CSV link. */
export function statsView(
  ctx: ConsoleContext,
  v: { figures: Figures; offices: Array<{ id: string; name: string }>; query: { locationId?: string; from: string; to: string } },
): string {
  const { t } = ctx;
  const f = v.figures;
  const qs = new URLSearchParams(Object.entries(v.query).filter(([, x]) => x) as Array<[string, string]>).toString();
  const form = `<form method="get" action="/verwaltung/statistik" class="console-inline">${select(
    'locationId',
    t.office,
    [['', t.allOffices], ...v.offices.map((o) => [o.id, o.name] as [string, string])],
    v.query.locationId ?? '',
  )}${input('from', t.from, { type: 'date', value: v.query.from })}${input('to', t.to, { type: 'date', value: v.query.to })}${submit(t.show, 'secondary')}</form>
<p class="kern-body"><a class="kern-link" href="/verwaltung/statistik.csv?${e(qs)}" download>${e(t.csv)}</a></p>`;
  const bookings = Object.entries(f.bookings).map(([k, value]) => ({
    label: t.figureNames[k] ?? k,
    value: Number(value),
    alt: k === 'rescued',
  }));
  const share = f.utilisation.share === null ? '–' : `${Math.round(f.utilisation.share * 1000) / 10} %`;
  const mail = f.mailByFamily.flatMap((m) => [
    { label: `${m.family}: ${t.figureNames.accepted}`, value: m.accepted },
    { label: `${m.family}: ${t.held}`, value: m.held, alt: true },
  ]);
  return `${form}<h2 class="kern-heading-medium">${e(t.figures)}</h2>${barChart(t.figures, bookings)}
<h2 class="kern-heading-medium">${e(t.utilisation)}</h2><p class="kern-body">${e(`${share} (${f.utilisation.reservedUnits} / ${f.utilisation.capacityUnits})`)}</p>
<h2 class="kern-heading-medium">${e(t.mailByFamily)}</h2>${mail.length ? barChart(t.mailByFamily, mail) : ''}${table(
    t.mailByFamily,
    [t.family, ...t.mailColumns],
    f.mailByFamily.map((m) => [
      e(m.family),
      ...[m.mails, m.accepted, m.deferred, m.held, m.bounced, m.medianMinutesToDelivery].map((x) => e(String(x ?? '–'))),
    ]),
    t.none,
  )}`;
}
