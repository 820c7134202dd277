import { escapeHtml as e } from '../../common/html';
import type { StaffPrincipal } from '../../staff/staff.service';
import { roleAllows, StaffRole } from '../../staff/roles';
import { alert, page } from '../../web/layout';
import type { Lang } from '../../web/texts';
import { ConsoleTexts, ct } from '../console-texts';

/** What every console page knows: the language, the signed-in staff member and the session's form token. */
export interface ConsoleContext {
  lang: Lang;
  t: ConsoleTexts;
  /** The page's own path with its query (for the language switch). */
  path: string;
  staff?: StaffPrincipal;
  csrf?: string;
}

export function contextOf(lang: Lang, path: string, staff?: StaffPrincipal, csrf?: string): ConsoleContext {
  // The language switch adds its own `lang`.
  const [base, query = ''] = path.split('?');
  const rest = query
    .split('&')
    .filter((p) => p && !p.startsWith('lang='))
    .join('&');
  return { lang, t: ct(lang), path: rest ? `${base}?${rest}` : base, staff, csrf };
}

const SECTIONS: Array<{ href: string; key: keyof ConsoleTexts; role: StaffRole }> = [
  { href: '/verwaltung/tag', key: 'dayList', role: 'clerk' },
  { href: '/verwaltung/suche', key: 'search', role: 'clerk' },
  { href: '/verwaltung/pruefung', key: 'review', role: 'clerk' },
  { href: '/verwaltung/anbieter', key: 'providers', role: 'supervisor' },
  { href: '/verwaltung/vorfaelle', key: 'incidents', role: 'supervisor' },
  { href: '/verwaltung/statistik', key: 'stats', role: 'supervisor' },
  { href: '/verwaltung/protokoll', key: 'auditLog', role: 'supervisor' },
  { href: '/verwaltung/aemter', key: 'offices', role: 'admin' },
  { href: '/verwaltung/konten', key: 'accounts', role: 'admin' },
  { href: '/verwaltung/sitzungen', key: 'sessions', role: 'admin' },
  { href: '/verwaltung/datenschutz', key: 'privacy', role: 'admin' },
];

/** The sections this staff member may open (the server checks again on every request). */
export function sectionsFor(ctx: ConsoleContext) {
  return SECTIONS.filter((s) => ctx.staff && roleAllows(ctx.staff.role, s.role)).map((s) => ({
    href: s.href,
    label: ctx.t[s.key] as string,
  }));
}

/** A console page: the navigation of the staff member's sections, sign-out, then the body. */
export function consolePage(
  ctx: ConsoleContext,
  title: string,
  body: string,
  opts: {
    flash?: { kind: 'success' | 'info' | 'warning' | 'danger'; text: string };
    refreshSeconds?: number;
    refreshTo?: string;
  } = {},
): string {
  const { t, staff } = ctx;
  const nav = staff
    ? `<nav class="console-nav" aria-label="${e(t.nav)}"><ul class="console-nav__list">${[
        { href: '/verwaltung', label: t.start },
        ...sectionsFor(ctx),
      ]
        .map(
          (s) =>
            `<li><a class="kern-link"${ctx.path.split('?')[0] === s.href ? ' aria-current="page"' : ''} href="${s.href}">${e(s.label)}</a></li>`,
        )
        .join('')}</ul>
<div class="console-nav__who"><span class="kern-body kern-body--small">${e(t.signedInAs(staff.displayName, t.roles[staff.role] ?? staff.role))}</span>
${postForm(ctx, '/verwaltung/abmelden', `<button class="kern-btn kern-btn--tertiary" type="submit"><span class="kern-label">${e(t.signOut)}</span></button>`, 'console-signout')}</div></nav>`
    : '';
  const flash = opts.flash ? alert(opts.flash.kind, opts.flash.text, '', opts.flash.kind === 'danger' ? 'alert' : 'status') : '';
  let html = page({
    lang: ctx.lang,
    title: `${title} – ${t.console}`,
    body: `${nav}<h1 class="kern-heading-large">${e(title)}</h1>${flash}${body}`,
    path: ctx.path,
    styles: ['/verwaltung/assets/console.css'],
    scripts: ['/verwaltung/assets/console.js'],
  });
  // A page that refreshes itself without script (the CSP allows no inline script).
  if (opts.refreshSeconds !== undefined)
    html = html.replace(
      '<meta charset="utf-8">',
      `<meta charset="utf-8">\n<meta http-equiv="refresh" content="${opts.refreshSeconds}${opts.refreshTo ? `; url=${e(opts.refreshTo)}` : ''}">`,
    );
  return html;
}

/** A POST form with the session's token; `inner` is HTML. */
export function postForm(ctx: ConsoleContext, action: string, inner: string, className = 'stack'): string {
  return `<form method="post" action="${e(action)}" class="${className}" novalidate><input type="hidden" name="_csrf" value="${e(ctx.csrf ?? '')}">${inner}</form>`;
}

export function submit(
  label: string,
  kind: 'primary' | 'secondary' | 'tertiary' = 'primary',
  name?: string,
  value?: string,
): string {
  return `<button class="kern-btn kern-btn--${kind}" type="submit"${name ? ` name="${e(name)}" value="${e(value ?? '1')}"` : ''}><span class="kern-label">${e(label)}</span></button>`;
}

let fieldCounter = 0;
/** A labelled input (KERN form input), with its error named and the value kept. */
export function input(
  name: string,
  label: string,
  opts: {
    type?: string;
    value?: string;
    hint?: string;
    error?: string;
    required?: boolean;
    id?: string;
    autocomplete?: string;
  } = {},
): string {
  const id = opts.id ?? `f-${name}-${++fieldCounter}`;
  const described = [opts.hint ? `${id}-hint` : '', opts.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return `<div class="kern-form-input${opts.error ? ' kern-form-input--error' : ''}">
<label class="kern-label" for="${id}">${e(label)}</label>
${opts.hint ? `<div class="kern-hint" id="${id}-hint">${e(opts.hint)}</div>` : ''}
${opts.error ? `<p class="kern-error" id="${id}-error"><span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span><span class="kern-body">${e(opts.error)}</span></p>` : ''}
<input class="kern-form-input__input${opts.error ? ' kern-form-input__input--error' : ''}" id="${id}" name="${e(name)}" type="${opts.type ?? 'text'}" value="${e(opts.value ?? '')}"${opts.required ? ' required' : ''}${opts.autocomplete ? ` autocomplete="${opts.autocomplete}"` : ''}${described ? ` aria-describedby="${described}"` : ''}${opts.error ? ' aria-invalid="true"' : ''}>
</div>`;
}

/** A labelled select; options are [value, label]. */
export function select(
  name: string,
  label: string,
  options: Array<[string, string]>,
  selected: string | string[] | undefined,
  opts: { multiple?: boolean; id?: string; error?: string } = {},
): string {
  const id = opts.id ?? `f-${name}-${++fieldCounter}`;
  const chosen = new Set(Array.isArray(selected) ? selected : selected ? [selected] : []);
  return `<div class="kern-form-input${opts.error ? ' kern-form-input--error' : ''}"><label class="kern-label" for="${id}">${e(label)}</label>
${opts.error ? `<p class="kern-error" id="${id}-error"><span class="kern-icon kern-icon--danger kern-icon--small" aria-hidden="true"></span><span class="kern-body">${e(opts.error)}</span></p>` : ''}
<div class="kern-form-input__select-wrapper"><select class="kern-form-input__select" id="${id}" name="${e(name)}"${opts.multiple ? ' multiple' : ''}${opts.error ? ` aria-invalid="true" aria-describedby="${id}-error"` : ''}>${options
    .map(([v, l]) => `<option value="${e(v)}"${chosen.has(v) ? ' selected' : ''}>${e(l)}</option>`)
    .join('')}</select></div></div>`;
}

/** The reason field every changing action needs. */
export function reasonField(ctx: ConsoleContext, error?: string, value?: string): string {
  return input('reason', ctx.t.reason, { hint: ctx.t.reasonHint, error, value, required: true });
}

/** A KERN table; cells are HTML (escape them). */
export function table(caption: string, head: string[], rows: string[][], emptyText: string): string {
  if (!rows.length) return `<p class="kern-body">${e(emptyText)}</p>`;
  return `<div class="console-table"><table class="kern-table"><caption class="kern-table__caption">${e(caption)}</caption><thead class="kern-table__head"><tr class="kern-table__row">${head
    .map((h) => `<th scope="col" class="kern-table__header">${e(h)}</th>`)
    .join('')}</tr></thead><tbody class="kern-table__body">${rows
    .map((r) => `<tr class="kern-table__row">${r.map((c) => `<td class="kern-table__cell">${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

/** The error summary at the top of a form, each entry linked to its field. */
export function errorSummary(ctx: ConsoleContext, problem: string | undefined): string {
  return problem ? alert('danger', ctx.t.errorSummary, problem, 'alert') : '';
}
