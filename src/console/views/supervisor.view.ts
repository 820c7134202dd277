import { escapeHtml as e } from '../../common/html';
import type { IncidentView } from '../../incidents/incidents.service';
import type { ProviderView } from '../../mail-delivery/providers.service';
import type { RelayStatus } from '../../mail-delivery/relay-status.service';
import { alert, facts } from '../../web/layout';
import { ConsoleContext, input, postForm, reasonField, select, submit, table } from './console-layout';
import { explainCategory, rawReply } from './booking.view';
import { when } from './format';

export const PROVIDERS_REFRESH_SECONDS = 30;

/** Each provider family's circuit, what waits, what went out in the last hour; pause and resume. */
export function providersView(ctx: ConsoleContext, providers: ProviderView[], relay?: RelayStatus): string {
  const { t } = ctx;
  const rows = providers.map((p) => {
    const c = p.circuit;
    const action =
      c.state === 'closed'
        ? postForm(
            ctx,
            `/verwaltung/anbieter/${encodeURIComponent(p.family)}/anhalten`,
            `${reasonField(ctx)}${submit(t.pause, 'secondary')}`,
          )
        : postForm(
            ctx,
            `/verwaltung/anbieter/${encodeURIComponent(p.family)}/fortsetzen`,
            `${reasonField(ctx)}${submit(t.resume, 'secondary')}`,
          );
    return [
      `<strong>${e(p.family)}</strong>`,
      `<span class="kern-badge kern-badge--${c.state === 'closed' ? 'success' : c.state === 'open' ? 'danger' : 'warning'}"><span class="kern-label kern-label--small">${e(t.circuits[c.state] ?? c.state)}</span></span>${c.pausedBy ? `<br><span class="kern-body--small">${e(`${c.pausedBy}: ${c.pauseReason ?? ''}`)}</span>` : ''}`,
      e(when(ctx, c.since)),
      p.lastReply
        ? `${e(when(ctx, p.lastReply.at))}<br>${e(explainCategory(ctx, p.lastReply.category))}<br><span class="console-raw">${e(rawReply(p.lastReply.code, p.lastReply.text))}</span>`
        : '–',
      e(c.state === 'closed' ? '–' : when(ctx, c.openUntil)),
      e(String(p.waiting.held + p.waiting.delayed)),
      e(String(p.lastHour.accepted ?? 0)),
      action,
    ];
  });
  const relayFacts = relay
    ? `<h2 class="kern-heading-medium">${e(t.relay)}</h2>${facts([
        [t.mode, e(relay.mode)],
        [t.state, e(t.relayReports[relay.reports] ?? relay.reports)],
        [
          t.inTransit,
          e(
            `${relay.inTransit.count}${relay.inTransit.oldestSince ? ` (${t.since} ${when(ctx, relay.inTransit.oldestSince)})` : ''}`,
          ),
        ],
        ...relay.warnings.map((w) => ['⚠', e(w)] as [string, string]),
      ])}<h2 class="kern-heading-medium">${e(t.providers)}</h2>`
    : '';
  return `${relayFacts}<p class="kern-body">${e(t.refreshNote(PROVIDERS_REFRESH_SECONDS))} <a class="kern-link" href="/verwaltung/anbieter">${e(t.reload)}</a></p><div id="live-providers" data-refresh-ms="${PROVIDERS_REFRESH_SECONDS * 1000}">${table(
    t.providers,
    [t.family, t.circuit, t.since, t.lastReply, t.nextProbe, t.held, t.lastHour, t.actions],
    rows,
    t.none,
  )}</div>`;
}

export interface IncidentFormState {
  family?: string;
  reason?: string;
  preview?: { family: string; bookings: number };
  goodwill?: { incidentId: string; until: string; reason: string; bookings: number; cappedAtSlotStart: number; untilIso: string };
  problem?: string;
}

/** Declare (dry run first), the open incidents with goodwill (dry run first) and their end, the history. */
export function incidentsView(
  ctx: ConsoleContext,
  v: { incidents: IncidentView[]; families: string[]; state: IncidentFormState },
): string {
  const { t } = ctx;
  const s = v.state;
  const problem = s.problem ? alert('danger', t.errorSummary, s.problem, 'alert') : '';
  const familyField = v.families.length
    ? select(
        'family',
        t.family,
        v.families.map((f) => [f, f]),
        s.family,
      )
    : input('family', t.family, { value: s.family, required: true });
  const declare = `<section class="stack" aria-labelledby="declare"><h2 class="kern-heading-medium" id="declare">${e(t.declare)}</h2>${
    s.preview ? alert('warning', t.declarePreview(s.preview.family, s.preview.bookings), '', 'status') : ''
  }${postForm(
    ctx,
    '/verwaltung/vorfaelle',
    `${familyField}${reasonField(ctx, undefined, s.reason)}<div class="actions">${submit(t.declareDryRun, s.preview ? 'secondary' : 'primary', 'step', 'pruefen')}${
      s.preview ? submit(t.declareConfirm, 'primary', 'step', 'ausrufen') : ''
    }</div>`,
  )}</section>`;
  const open = v.incidents.filter((i) => !i.endedAt);
  const openList = open
    .map((i) => {
      const g = s.goodwill?.incidentId === i.id ? s.goodwill : undefined;
      return `<li class="kern-card"><div class="kern-card__container stack"><div class="kern-card__header"><h3 class="kern-heading-small">${e(`${i.family} – ${i.reason}`)}</h3><p class="kern-body kern-body--small">${e(`${t.declaredAt}: ${when(ctx, i.declaredAt)} (${i.declaredBy})`)}</p></div>
<div class="kern-card__body stack"><h4 class="kern-heading-small">${e(t.goodwill)}</h4>${g ? alert('warning', t.goodwillPreview(g.bookings, g.cappedAtSlotStart, when(ctx, g.untilIso)), '', 'status') : ''}${postForm(
        ctx,
        `/verwaltung/vorfaelle/${i.id}/kulanz`,
        `${input('until', t.extendUntil, { type: 'datetime-local', value: g?.until, required: true })}${reasonField(ctx, undefined, g?.reason)}<div class="actions">${submit(t.declareDryRun, g ? 'secondary' : 'primary', 'step', 'pruefen')}${g ? submit(t.apply, 'primary', 'step', 'anwenden') : ''}</div>`,
      )}
<h4 class="kern-heading-small">${e(t.endIncident)}</h4>${postForm(ctx, `/verwaltung/vorfaelle/${i.id}/ende`, `${reasonField(ctx)}${submit(t.endIncident, 'secondary')}`)}</div></div></li>`;
    })
    .join('');
  const history = table(
    t.history,
    [t.family, t.reason, t.declaredAt, t.endedAt],
    v.incidents.map((i) => [
      e(i.family),
      e(i.reason),
      e(`${when(ctx, i.declaredAt)} (${i.declaredBy})`),
      e(i.endedAt ? `${when(ctx, i.endedAt)} (${i.endedBy ?? ''}${i.endReason ? `: ${i.endReason}` : ''})` : '–'),
    ]),
    t.none,
  );
  return `${problem}${declare}<section class="stack" aria-labelledby="open-incidents"><h2 class="kern-heading-medium" id="open-incidents">${e(t.openIncidents)}</h2>${
    openList ? `<ul class="kern-list stack">${openList}</ul>` : `<p class="kern-body">${e(t.none)}</p>`
  }</section><section class="stack" aria-labelledby="incident-history"><h2 class="kern-heading-medium" id="incident-history">${e(t.history)}</h2>${history}</section>`;
}
