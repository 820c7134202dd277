import { escapeHtml as e } from '../../common/html';
import type { StaffAccountView, StaffSessionView } from '../../staff/staff.service';
import { STAFF_ROLES } from '../../staff/roles';
import { alert } from '../../web/layout';
import { ConsoleContext, input, postForm, select, submit, table } from './console-layout';
import { bookingLink, when } from './format';

type Office = { id: string; name: string };

/** Staff accounts: create, change role and offices, deactivate, a new password (shown once, on this page only). */
export function accountsView(
  ctx: ConsoleContext,
  v: {
    accounts: StaffAccountView[];
    offices: Office[];
    once?: string;
    problem?: string;
    kept?: { email?: string; displayName?: string; role?: string };
  },
): string {
  const { t } = ctx;
  const roleOptions = STAFF_ROLES.map((r) => [r, t.roles[r] ?? r] as [string, string]);
  const officeOptions = v.offices.map((o) => [o.id, o.name] as [string, string]);
  const officeName = new Map(v.offices.map((o) => [o.id, o.name]));
  const create = `<section class="stack" aria-labelledby="create-account"><h2 class="kern-heading-medium" id="create-account">${e(t.createAccount)}</h2>${postForm(
    ctx,
    '/verwaltung/konten',
    `${input('email', t.email, { type: 'email', required: true, value: v.kept?.email })}${input('displayName', t.displayName, { value: v.kept?.displayName })}${select(
      'role',
      t.role,
      roleOptions,
      v.kept?.role ?? 'clerk',
    )}${select('locationIds', t.boundOffices, officeOptions, [], { multiple: true })}${submit(t.createAccount)}`,
  )}</section>`;
  const rows = v.accounts.map((a) => {
    const disabled = !!a.disabledAt;
    const change = disabled
      ? ''
      : `<details class="console-action"><summary>${e(`${t.change}: ${a.email}`)}</summary>${postForm(
          ctx,
          `/verwaltung/konten/${a.id}`,
          `${select('role', t.role, roleOptions, a.role)}${select('locationIds', t.boundOffices, officeOptions, a.locationIds ?? [], { multiple: true })}${submit(t.change, 'secondary')}`,
        )}</details><div class="console-row-actions">${postForm(
          ctx,
          `/verwaltung/konten/${a.id}/passwort`,
          `<button class="kern-btn kern-btn--tertiary" type="submit" aria-label="${e(`${t.resetPassword}: ${a.email}`)}"><span class="kern-label">${e(t.resetPassword)}</span></button>`,
          '',
        )}${postForm(
          ctx,
          `/verwaltung/konten/${a.id}/deaktivieren`,
          `<button class="kern-btn kern-btn--tertiary" type="submit" aria-label="${e(`${t.deactivate}: ${a.email}`)}"><span class="kern-label">${e(t.deactivate)}</span></button>`,
          '',
        )}</div>`;
    return [
      e(a.email),
      e(a.displayName),
      e(t.roles[a.role] ?? a.role),
      e(a.locationIds?.map((id) => officeName.get(id) ?? id).join(', ') || t.allOffices),
      e(disabled ? `${t.deactivated} ${when(ctx, a.disabledAt)}` : t.active),
      change,
    ];
  });
  return `${v.once ? alert('warning', v.once, '', 'status') : ''}${v.problem ? alert('danger', t.errorSummary, v.problem, 'alert') : ''}${create}${table(
    t.accounts,
    [t.email, t.displayName, t.role, t.office, t.status, t.actions],
    rows,
    t.none,
  )}`;
}

/** Running sessions of both kinds (never a token), each with its end button. */
export function sessionsView(ctx: ConsoleContext, sessions: StaffSessionView[], ownSessionId: string | undefined): string {
  const { t } = ctx;
  return table(
    t.sessions,
    [t.email, t.role, t.kind, t.createdAt, t.lastSeen, t.expiresAt, t.actions],
    sessions.map((s) => [
      e(s.email),
      e(t.roles[s.role] ?? s.role),
      e(`${t.kinds[s.kind] ?? s.kind}${s.id === ownSessionId ? ' ★' : ''}`),
      e(when(ctx, s.createdAt)),
      e(when(ctx, s.lastSeenAt)),
      e(when(ctx, s.expiresAt)),
      postForm(
        ctx,
        `/verwaltung/sitzungen/${s.id}/beenden`,
        `<button class="kern-btn kern-btn--tertiary" type="submit" aria-label="${e(`${t.revoke}: ${s.email} (${t.kinds[s.kind] ?? s.kind})`)}"><span class="kern-label">${e(t.revoke)}</span></button>`,
        '',
      ),
    ]),
    t.none,
  );
}

export interface AuditEntryRow {
  id: string;
  at: Date;
  actorLabel: string;
  action: string;
  bookingId: string | null;
  reason: string | null;
  before: unknown;
  after: unknown;
}

/** The audit log, newest first, with filters and paging by id. */
export function auditView(
  ctx: ConsoleContext,
  v: { entries: AuditEntryRow[]; filter: { action?: string; actor?: string; bookingId?: string; from?: string; to?: string } },
): string {
  const { t } = ctx;
  const f = v.filter;
  const form = `<form method="get" action="/verwaltung/protokoll" class="console-inline">${input('action', t.action, { value: f.action })}${input(
    'actor',
    t.actor,
    {
      value: f.actor,
    },
  )}${input('bookingId', t.bookingId, { value: f.bookingId })}${input('from', t.from, { type: 'date', value: f.from })}${input(
    'to',
    t.to,
    {
      type: 'date',
      value: f.to,
    },
  )}${submit(t.filter, 'secondary')}</form>`;
  const json = (x: unknown) => (x === null || x === undefined ? '' : JSON.stringify(x));
  const rows = v.entries.map((a) => [
    e(when(ctx, a.at)),
    e(a.actorLabel),
    `<code>${e(a.action)}</code>`,
    a.bookingId ? bookingLink(a.bookingId, a.bookingId.slice(0, 8)) : '',
    e(a.reason ?? ''),
    `<span class="console-raw">${e([json(a.before), json(a.after)].filter(Boolean).join(' → '))}</span>`,
  ]);
  const last = v.entries.at(-1);
  const qs = new URLSearchParams(Object.entries(f).filter(([, x]) => x) as Array<[string, string]>);
  if (last) qs.set('vor', String(last.id));
  const more =
    v.entries.length === 100
      ? `<p class="kern-body"><a class="kern-link" href="/verwaltung/protokoll?${e(qs.toString())}">${e(t.older)} →</a></p>`
      : '';
  return `${form}${table(t.auditLog, [t.at, t.who, t.action, t.bookingId, t.reason, t.what], rows, t.none)}${more}`;
}

/** Access and erasure for one e-mail address. */
export function privacyView(
  ctx: ConsoleContext,
  v: { email?: string; reason?: string; problem?: string; done?: string },
): string {
  const { t } = ctx;
  return `${v.done ? alert('success', v.done, '', 'status') : ''}${v.problem ? alert('danger', t.errorSummary, v.problem, 'alert') : ''}<p class="kern-body">${e(t.privacyIntro)}</p>
<section class="stack" aria-labelledby="privacy-export"><h2 class="kern-heading-medium" id="privacy-export">${e(t.privacyExport)}</h2>${postForm(
    ctx,
    '/verwaltung/datenschutz/auskunft',
    `${input('email', t.email, { type: 'email', required: true, value: v.email })}${submit(t.privacyExport, 'secondary')}`,
  )}</section>
<section class="stack" aria-labelledby="privacy-erase"><h2 class="kern-heading-medium" id="privacy-erase">${e(t.privacyErase)}</h2>${postForm(
    ctx,
    '/verwaltung/datenschutz/loeschen',
    `${input('email', t.email, { type: 'email', required: true, value: v.email })}${input('reason', t.reason, { hint: t.reasonHint, required: true, value: v.reason })}${submit(t.privacyErase)}`,
  )}</section>`;
}
