import { DateTime } from 'luxon';
import { escapeHtml as e } from '../../common/html';
import type { ReviewService } from '../../review/review.service';
import type { SlotView } from '../../scheduling/scheduling.service';
import { facts } from '../../web/layout';
import { ConsoleContext, input, postForm, reasonField, select, submit, table } from './console-layout';
import { statusLabel, toLocalInput, when } from './format';

export const BOOKING_ACTIONS = ['verlaengern', 'wiederherstellen', 'bestaetigen', 'abschliessen', 'verlegen', 'absagen'] as const;
export type BookingAction = (typeof BOOKING_ACTIONS)[number];

type Detail = Awaited<ReturnType<ReviewService['detail']>>;

export interface BookingPageState {
  done?: string;
  /** An action that was refused: its input kept, the problem named. */
  failed?: {
    action: BookingAction;
    reason: string;
    slotId: string;
    until: string;
    field?: string;
    code?: string;
    message: string;
  };
}

/** A provider's reply as it came: the code, then the text (which often repeats the code). */
export function rawReply(code: number | string | null | undefined, text: string | null | undefined): string {
  const c = code === null || code === undefined ? '' : String(code);
  const t = (text ?? '').trim();
  if (!t) return c;
  return c && !t.startsWith(c) ? `${c} ${t}` : t;
}

/** What a reply category means, in words; unknown categories show as they are. */
export function explainCategory(ctx: ConsoleContext, category: string | null | undefined): string {
  if (!category) return '–';
  return ctx.t.explain[category] ?? category;
}

/** The booking's page: the facts, the hold and why, every message with each attempt, the audit trail, the actions. */
export function bookingView(
  ctx: ConsoleContext,
  v: {
    detail: Detail;
    freeSlots: Array<SlotView & { officeName?: string }>;
    state?: BookingPageState;
    now: DateTime;
    serviceNames?: Map<string, string>;
  },
): string {
  const { t } = ctx;
  const d = v.detail;
  const zone = d.slot.location.timeZone;
  const extra = d.combined.serviceIds.map((id) => v.serviceNames?.get(id) ?? id);
  const info = facts([
    [t.reference, `<strong>${e(d.reference)}</strong>`],
    [
      t.status,
      `${statusLabel(ctx, d.status)}${d.expiryReason ? ` <span class="kern-body--small">(${e(t.expiryReasons[d.expiryReason] ?? d.expiryReason)})</span>` : ''}`,
    ],
    [t.when, e(`${when(ctx, d.slot.startsAt, zone)} – ${when(ctx, d.slot.endsAt, zone, t.timeFormat)}`)],
    [t.office, e(`${d.slot.location.name}, ${d.slot.location.address}`)],
    [t.service, e([d.slot.service.name, ...extra].join(' + '))],
    [t.name, e(d.name)],
    [t.contact, e([d.email, d.phone].filter(Boolean).join(' · '))],
    [t.createdAt, e(when(ctx, d.createdAt, zone))],
    ...(d.expiredAt ? ([[t.expiredAt, e(when(ctx, d.expiredAt, zone))]] as Array<[string, string]>) : []),
    ...(d.holdUntil ? ([[t.holdUntil, e(when(ctx, d.holdUntil, zone))]] as Array<[string, string]>) : []),
    ...(d.hold ? ([[t.holdWhy, e(d.hold.explanation)]] as Array<[string, string]>) : []),
  ]);
  const messages = d.messages.length
    ? d.messages
        .map((m) => {
          const attempts = table(
            `${t.attempts}: ${m.kind}`,
            ['#', t.at, t.state, t.reply, t.rawReply],
            [
              ...m.history.map((h) => [
                String(h.attempt),
                e(when(ctx, h.at, zone)),
                e(h.outcome),
                e(explainCategory(ctx, h.category)),
                `<span class="console-raw">${e(rawReply(h.replyCode, h.reply ?? h.errorCode))}</span>`,
              ]),
              ...m.reports.map((r) => [
                e(r.source),
                e(when(ctx, r.at, zone)),
                e(`${r.kind}${r.status ? ` ${r.status}` : ''}`),
                e(explainCategory(ctx, r.category)),
                `<span class="console-raw">${e([r.remoteMta, r.reply].filter(Boolean).join(': '))}</span>`,
              ]),
            ],
            t.none,
          );
          return `<li class="stack"><h3 class="kern-heading-small">${e(`${m.kind} · ${m.channel} · ${m.recipient}`)}</h3>${facts([
            [t.state, e(m.state)],
            [t.family, e(m.family ?? '–')],
            [t.attempts, e(String(m.attempts))],
            [t.lastReply, e(explainCategory(ctx, m.lastReplyCategory))],
            [t.rawReply, `<span class="console-raw">${e(rawReply(m.lastReplyCode, m.lastReply) || '–')}</span>`],
          ])}${attempts}</li>`;
        })
        .join('')
    : '';
  const trail = table(
    t.auditTrail,
    [t.at, t.who, t.what, t.reason],
    (d.audit as Array<{ at: Date; actorLabel: string; action: string; reason: string | null }>).map((a) => [
      e(when(ctx, a.at, zone)),
      e(a.actorLabel),
      e(a.action),
      e(a.reason ?? ''),
    ]),
    t.none,
  );
  return `${info}
<section class="stack" aria-labelledby="actions"><h2 class="kern-heading-medium" id="actions">${e(t.actions)}</h2>${actions(ctx, d, v.freeSlots, v.state?.failed, v.now)}</section>
<section class="stack" aria-labelledby="messages"><h2 class="kern-heading-medium" id="messages">${e(t.messages)}</h2>${messages ? `<ul class="kern-list stack">${messages}</ul>` : `<p class="kern-body">${e(t.none)}</p>`}</section>
<section class="stack" aria-labelledby="trail"><h2 class="kern-heading-medium" id="trail">${e(t.auditTrail)}</h2>${trail}</section>`;
}

function actions(
  ctx: ConsoleContext,
  d: Detail,
  freeSlots: Array<SlotView & { officeName?: string }>,
  failed: BookingPageState['failed'],
  now: DateTime,
): string {
  const { t } = ctx;
  const zone = d.slot.location.timeZone;
  const slotOptions = (withOwn: boolean): Array<[string, string]> => [
    ...(withOwn ? ([['', t.ownSlot]] as Array<[string, string]>) : []),
    // Reinstating stays at the office; rescheduling may move to another one of this clerk's.
    ...freeSlots
      .filter((s) => s.id !== d.slot.id && (!withOwn || !s.officeName))
      .map(
        (s) =>
          [s.id, s.officeName ? `${s.officeName}: ${when(ctx, s.startsAt)}` : when(ctx, s.startsAt, zone)] as [string, string],
      ),
  ];
  const form = (action: BookingAction, label: string, fields: string, hint?: string) => {
    const mine = failed?.action === action ? failed : undefined;
    const problem = mine
      ? `<div class="kern-alert kern-alert--danger" role="alert"><div class="kern-alert__header"><span class="kern-icon kern-icon--danger" aria-hidden="true"></span><span class="kern-title">${e(
          t.errorSummary,
        )}</span></div><div class="kern-alert__body"><p class="kern-body">${e(
          mine.field === 'reason' ? `${t.reason}: ${mine.message}` : (mine.code && t.errors[mine.code]) || mine.message,
        )}</p>${mine.code && t.errors[mine.code] ? `<p class="kern-body kern-body--small">${e(mine.message)}</p>` : ''}</div></div>`
      : '';
    return `<details class="console-action"${mine ? ' open' : ''}><summary>${e(label)}</summary>${problem}${hint ? `<p class="kern-body">${e(hint)}</p>` : ''}${postForm(
      ctx,
      `/verwaltung/buchungen/${d.id}/${action}`,
      `${fields}${reasonField(ctx, mine?.field === 'reason' ? mine.message : undefined, mine?.reason)}${submit(label)}`,
    )}</details>`;
  };
  const list: string[] = [];
  if (d.status === 'pending') {
    const suggested = now.setZone(zone).plus({ hours: 4 }).startOf('hour');
    list.push(
      form(
        'verlaengern',
        t.extend,
        input('until', t.extendUntil, {
          type: 'datetime-local',
          value: failed?.until || toLocalInput(suggested),
          required: true,
        }),
      ),
      form('bestaetigen', t.confirmPhone, '', t.confirmPhoneHint),
    );
  }
  if (d.status === 'expired') {
    list.push(form('wiederherstellen', t.reinstate, select('slotId', t.reinstateSlot, slotOptions(true), failed?.slotId)));
    if (d.reviewStatus === 'open') list.push(form('abschliessen', t.closeReview, ''));
  }
  if (d.status === 'pending' || d.status === 'confirmed') {
    list.push(
      form('verlegen', t.reschedule, select('slotId', t.newTime, slotOptions(false), failed?.slotId)),
      form('absagen', t.cancel, ''),
    );
  }
  return list.length ? list.join('') : `<p class="kern-body">${e(t.none)}</p>`;
}
