import { escapeHtml as e } from '../../common/html';
import { ConsoleContext, sectionsFor } from './console-layout';

/** The start page: the sections this role may open. */
export function homeView(ctx: ConsoleContext): string {
  return `<ul class="console-cards">${sectionsFor(ctx)
    .map(
      (s) =>
        `<li class="kern-card"><div class="kern-card__container"><div class="kern-card__header"><h2 class="kern-heading-small"><a class="kern-link" href="${s.href}">${e(s.label)}</a></h2></div></div></li>`,
    )
    .join('')}</ul>`;
}
