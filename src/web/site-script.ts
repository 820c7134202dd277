/**
 * The citizen pages' only script of our own (served at /assets/site.js; no inline script, the CSP
 * forbids it). Progressive enhancement: every page works without it.
 * - ALTCHA's proof-of-work worker, for the widget's CSP-friendly build (no inline workers); a
 *   submit waits until the widget has solved its challenge.
 * - The booking form: on leaving the e-mail field, asks whether that provider refuses the city's
 *   mail right now and shows the warning at once (without JavaScript it comes as a second step).
 * - The status page: while the booking is pending, its status part is fetched again every 30
 *   seconds and replaced; the forms below it, and what the citizen typed there, stay as they are.
 */
export const SITE_JS = `'use strict';
(function () {
  const el = (tag, className, content) => {
    const node = document.createElement(tag);
    node.className = className;
    if (content !== undefined) node.append(content);
    return node;
  };

  if (globalThis.$altcha) {
    for (const name of ['PBKDF2/SHA-256', 'PBKDF2/SHA-384', 'PBKDF2/SHA-512'])
      globalThis.$altcha.algorithms.set(name, () => new Worker('/assets/altcha/workers/pbkdf2.js'));
  }

  // A submit before the widget has finished waits for it (at most 20 s; if it fails, the form goes
  // anyway and the server asks for the short wait instead).
  const widget = document.querySelector('altcha-widget');
  const guarded = widget && widget.closest('form');
  if (guarded) {
    guarded.addEventListener('submit', (event) => {
      const state = typeof widget.getState === 'function' ? widget.getState() : 'verified';
      if (state === 'verified' || guarded.dataset.waited === '1') return;
      event.preventDefault();
      const go = () => {
        if (guarded.dataset.waited === '1') return;
        guarded.dataset.waited = '1';
        guarded.requestSubmit(event.submitter || undefined);
      };
      widget.addEventListener('verified', () => setTimeout(go, 0), { once: true });
      widget.addEventListener('statechange', (e) => e.detail && e.detail.state === 'error' && go());
      setTimeout(go, 20000);
      if (state !== 'verifying' && typeof widget.verify === 'function') widget.verify();
    });
  }

  const email = document.querySelector('input[data-provider-check]');
  if (email) {
    const box = document.getElementById('provider-live');
    const seen = document.querySelector('input[name="providerWarningSeen"]');
    let asked = '';
    const check = async () => {
      const value = email.value.trim();
      if (!value || value === asked || !value.includes('@')) return;
      asked = value;
      try {
        const url = email.getAttribute('data-provider-check') + '&email=' + encodeURIComponent(value);
        const res = await fetch(url, { headers: { accept: 'application/json' } });
        if (!res.ok || email.value.trim() !== value) return;
        const { warning } = await res.json();
        box.replaceChildren();
        if (warning) {
          const alert = el('div', 'kern-alert kern-alert--warning');
          alert.id = 'provider-warning';
          alert.append(
            el('div', 'kern-alert__header', el('h2', 'kern-title', warning.title)),
            el('div', 'kern-alert__body', el('p', 'kern-body', warning.help)),
          );
          box.append(alert);
        }
        if (seen) seen.value = warning ? '1' : '';
      } catch (e) {
        asked = '';
      }
    };
    email.addEventListener('change', check);
    email.addEventListener('blur', check);
  }

  const live = document.getElementById('live-status');
  if (live && live.getAttribute('data-pending') === '1') {
    const refresh = async () => {
      if (document.visibilityState !== 'visible') return;
      try {
        const res = await fetch(location.href, { headers: { accept: 'text/html' } });
        if (!res.ok) return;
        const next = new DOMParser().parseFromString(await res.text(), 'text/html').getElementById('live-status');
        if (!next) return;
        live.replaceChildren(...next.childNodes);
        if (next.getAttribute('data-pending') !== '1') {
          live.setAttribute('data-pending', '0');
          clearInterval(timer);
        }
      } catch (e) {}
    };
    const timer = setInterval(refresh, Number(live.getAttribute('data-refresh-ms')) || 30000);
  }
})();
`;
