/** The console's own CSS on top of KERN and the site's (served at /verwaltung/assets/console.css). */
export const CONSOLE_CSS = `
.console-nav{display:flex;flex-wrap:wrap;justify-content:space-between;gap:1rem;align-items:center;border-bottom:2px solid #ccc;padding-bottom:1rem}
.console-nav__list{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;margin:0;padding:0}
.console-nav__list a[aria-current=page]{font-weight:700}
.console-nav__who{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
.console-signout{margin:0}
.console-table{overflow-x:auto}
.console-inline{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}
.console-inline .kern-form-input{margin:0}
.console-row-actions{display:flex;flex-wrap:wrap;gap:.5rem}
.console-row-actions form{margin:0}
.console-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem;list-style:none;padding:0}
.console-chart{max-width:48rem}
.console-chart text{font-size:12px;fill:#222}
.console-chart .bar{fill:#2f4b8a}
.console-chart .bar-alt{fill:#8a2f2f}
.console-raw{white-space:pre-wrap;word-break:break-word;font-family:monospace;font-size:.875rem}
details.console-action{border:1px solid #ccc;padding:.5rem 1rem;border-radius:.25rem}
details.console-action summary{cursor:pointer;font-weight:600}
`;

/**
 * The console's only script (served at /verwaltung/assets/console.js; the CSP allows no inline
 * script). A part marked `data-refresh-ms` is fetched again at that pace and replaced, unless the
 * tab is hidden or the focus is inside it (someone is typing a reason there). Without it the page
 * works as it is, with its reload link.
 */
export const CONSOLE_JS = `'use strict';
(function () {
  for (const live of document.querySelectorAll('[data-refresh-ms]')) {
    const every = Number(live.getAttribute('data-refresh-ms')) || 30000;
    setInterval(async () => {
      if (document.visibilityState !== 'visible' || live.contains(document.activeElement)) return;
      try {
        const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
        if (!res.ok || res.redirected) return;
        const next = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById(live.id);
        if (next && !live.contains(document.activeElement)) live.replaceChildren(...next.childNodes);
      } catch (e) {}
    }, every);
  }
})();
`;
