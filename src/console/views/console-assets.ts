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
