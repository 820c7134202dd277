import { escapeHtml } from '../common/html';
import { Lang, t } from './texts';

/** Response headers of every citizen page. Pages that carry a token add no-store (they all do, to be safe). */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // No inline script or style: KERN's CSS and fonts, ALTCHA's widget and our one script come from
  // this server; KERN's icons are data: SVGs; the scripts talk only to this server.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** Pages that must not be indexed (they show a booking). */
export const PRIVATE_PAGE_HEADERS: Record<string, string> = { ...PAGE_HEADERS, 'x-robots-tag': 'noindex' };

/** A little CSS of our own on top of KERN (served at /assets/site.css). */
export const SITE_CSS = `
.skip-link{position:absolute;left:-10000px;top:0}
.skip-link:focus{left:1rem;top:1rem;z-index:10;background:#fff;padding:.5rem 1rem;outline:3px solid #000}
.site-header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:1rem;padding:1rem 0}
.site-header .site-name{font-weight:700;font-size:1.25rem}
main{padding-bottom:3rem}
.day-times{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:.5rem 0 1.5rem}
.day-times a{display:inline-block;min-width:5.5rem;text-align:center}
.pager{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.actions{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start;margin-top:1.5rem}
.actions form{margin:0}
.stack > * + *{margin-top:1.25rem}
.site-footer{margin-top:3rem;padding-block:1.5rem;border-top:1px solid #ccc}
`;

export interface PageOptions {
  lang: Lang;
  title: string;
  body: string;
  /** The same page in the other language (a path with its query, without `lang`). */
  path: string;
  /** Scripts (same-origin URLs) the page loads as modules, in order, after its own. */
  scripts?: string[];
  /** Style sheets (same-origin URLs) besides KERN's and ours. */
  styles?: string[];
}

export function page({ lang, title, body, path, scripts = [], styles = [] }: PageOptions): string {
  const texts = t(lang);
  const other = texts.switchLang;
  const sep = path.includes('?') ? '&' : '?';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ${escapeHtml(texts.site)}</title>
<link rel="stylesheet" href="/assets/kern/fonts/fira-sans.css">
<link rel="stylesheet" href="/assets/kern/kern.min.css">
<link rel="stylesheet" href="/assets/site.css">
${styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}
${[...scripts, '/assets/site.js'].map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('\n')}
</head>
<body>
<a class="skip-link" href="#main">${escapeHtml(texts.skip)}</a>
<div class="kern-kopfzeile"><div class="kern-container"><div class="kern-kopfzeile__content"><span class="kern-kopfzeile__flagge" aria-hidden="true"></span><span class="kern-kopfzeile__label">${escapeHtml(texts.officialSite)}</span></div></div></div>
<header class="kern-container site-header">
<a class="kern-link site-name" href="/${lang === 'de' ? '' : '?lang=en'}">${escapeHtml(texts.site)}</a>
<nav aria-label="${lang === 'de' ? 'Sprache' : 'Language'}"><a class="kern-link" href="${escapeHtml(`${path}${sep}lang=${other}`)}" hreflang="${other}" lang="${other}">${escapeHtml(texts.switchTo)}</a></nav>
</header>
<main id="main" class="kern-container stack" tabindex="-1">
${body}
</main>
<footer class="kern-container site-footer"><p class="kern-body kern-body--small"><a class="kern-link" href="/datenschutz${lang === 'en' ? '?lang=en' : ''}">${escapeHtml(texts.privacyTitle)}</a></p></footer>
</body>
</html>`;
}

/** A KERN alert box. */
export function alert(
  kind: 'info' | 'success' | 'warning' | 'danger',
  heading: string,
  text: string,
  role?: 'alert' | 'status',
): string {
  return `<div class="kern-alert kern-alert--${kind}"${role ? ` role="${role}"` : ''}><div class="kern-alert__header"><span class="kern-icon kern-icon--${kind === 'danger' ? 'danger' : kind}" aria-hidden="true"></span><span class="kern-title">${escapeHtml(heading)}</span></div>${text ? `<div class="kern-alert__body"><p class="kern-body">${escapeHtml(text)}</p></div>` : ''}</div>`;
}

/** A description list (key: value) in KERN's look. Values are HTML (escape them). */
export function facts(rows: Array<[string, string]>): string {
  return `<dl class="kern-description-list">${rows
    .map(
      ([k, v]) =>
        `<div class="kern-description-list-item"><dt class="kern-description-list-item__key">${escapeHtml(k)}</dt><dd class="kern-description-list-item__value">${v}</dd></div>`,
    )
    .join('')}</dl>`;
}
